//! Tauri's build step: reads tauri.conf.json and the capabilities for `generate_context!`.

fn main() {
    tauri_build::build();
    // `generate_context!` embeds the built UI; a new `npm run build` alone must rebuild the
    // shell, or the app (and its end-to-end test) would keep showing the previous UI. Cargo
    // scans a directory named here for changes to any file inside it.
    println!("cargo:rerun-if-changed=../ui/dist");
}
