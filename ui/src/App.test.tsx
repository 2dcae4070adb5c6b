import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, type Api } from "./api";
import { App, SCREENS } from "./App";
import { LANGUAGE_STORAGE_KEY } from "./i18n";
import en from "./locales/en.json";
import my from "./locales/my.json";
import { highlyConfidentialReview } from "./test/fixtures";
import { isRawKey, renderIn, visibleTexts } from "./test/render";

const catalogues = { en, my } as const;

function fakeApi(overrides: Partial<Api> = {}): Api {
  return {
    whoami: vi.fn(async () => ({
      member_id: "m-1",
      name: "Daw Aye Aye",
      org: "Shwe Partners",
      age_recipient: "age1example",
      signing_key: "ed25519-example",
      fingerprint: "3f2a 91bc",
    })),
    scanFiles: vi.fn(async () => highlyConfidentialReview),
    ...overrides,
  };
}

function expectNoRawKeys(missing: string[]) {
  const raw = visibleTexts(document.body).filter(isRawKey);
  expect(raw).toEqual([]);
  expect(missing).toEqual([]);
}

describe.each(["en", "my"] as const)("App (%s)", (language) => {
  const c = catalogues[language];

  it("renders every screen and every send step without a raw key", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    const pickFiles = vi.fn(async () => ["/home/aye/beneficiaries.csv", "/home/aye/scan.pdf"]);
    const { missing } = renderIn(language, <App api={api} pickFiles={pickFiles} />);

    expect(document.documentElement.lang).toBe(language);
    await screen.findByText(c.header.identity.replace("{{name}}", "Daw Aye Aye"));
    expect(screen.getByRole("heading", { level: 1, name: c.send.title })).toBeInTheDocument();
    expectNoRawKeys(missing);

    // Every other screen says honestly that it comes next.
    for (const item of SCREENS.filter((s) => s !== "send")) {
      await user.click(screen.getByRole("button", { name: c.nav[item] }));
      expect(screen.getByRole("heading", { level: 1, name: c.screens[item].title })).toBeInTheDocument();
      expect(screen.getByText(c.screens[item].coming)).toBeInTheDocument();
      expect(screen.getByRole("button", { name: c.nav[item] })).toHaveAttribute("aria-current", "page");
      expectNoRawKeys(missing);
    }

    // Send: pick → what the scan found.
    await user.click(screen.getByRole("button", { name: c.nav.send }));
    await user.click(screen.getByRole("button", { name: c.send.pick.button }));
    expect(pickFiles).toHaveBeenCalledOnce();
    expect(api.scanFiles).toHaveBeenCalledWith(["/home/aye/beneficiaries.csv", "/home/aye/scan.pdf"]);
    await screen.findByRole("region", { name: "beneficiaries.csv" });
    // Rust's reason message, the translated title of each code, masked examples, warnings.
    expect(screen.getByText(/It contains phone numbers\./)).toBeInTheDocument();
    expect(screen.getAllByText(c.reason.phone).length).toBeGreaterThan(0);
    expect(screen.getByText("09•••••4567")).toBeInTheDocument();
    expect(screen.getByText(c.send.review.whole_sheet)).toBeInTheDocument();
    expect(screen.getByText(c.send.review.not_scanned)).toBeInTheDocument();
    expect(screen.getByText(/Zawgyi-encoded/)).toBeInTheDocument();
    expect(screen.getAllByText(c.label.highly_confidential.name).length).toBeGreaterThan(0);
    expect(screen.getByRole("heading", { level: 2 })).toHaveFocus();
    expectNoRawKeys(missing);

    // → label: lower needs a reason.
    await user.click(screen.getByRole("button", { name: c.common.next }));
    expect(screen.getByRole("radio", { checked: true })).toHaveAttribute("value", "highly-confidential");
    await user.click(screen.getByRole("radio", { name: new RegExp(`^${c.label.confidential.name}`) }));
    const next = screen.getByRole("button", { name: c.common.next });
    expect(next).toBeDisabled();
    expectNoRawKeys(missing);
    await user.type(screen.getByRole("textbox", { name: c.label_chooser.reason_label }), "only IMO staff will see it");
    await user.click(next);

    // → what comes next, with the choice.
    expect(screen.getByText(c.send.done.coming)).toBeInTheDocument();
    expect(
      screen.getByText(c.send.done.override.replace("{{reason}}", "only IMO staff will see it")),
    ).toBeInTheDocument();
    expectNoRawKeys(missing);
  });

  it("shows a shell error by its code, with Rust's message only as details", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      scanFiles: vi.fn(async () => {
        throw new ApiError("scan-timeout", "The scan took longer than 15 minutes.");
      }),
    });
    const { missing } = renderIn(language, <App api={api} pickFiles={async () => ["/a.csv"]} />);
    await user.click(screen.getByRole("button", { name: c.send.pick.button }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(c.errors.generic.replace("{{code}}", "scan-timeout"));
    expect(alert).toHaveTextContent("The scan took longer than 15 minutes.");
    // Back on the first step, ready to try again.
    expect(screen.getByRole("button", { name: c.send.pick.button })).toBeEnabled();
    expectNoRawKeys(missing);
  });

  it("says when the file dialog is not available yet", async () => {
    const user = userEvent.setup();
    const { missing } = renderIn(
      language,
      <App
        api={fakeApi()}
        pickFiles={async () => {
          throw new ApiError("not-available", "no dialog");
        }}
      />,
    );
    await user.click(screen.getByRole("button", { name: c.send.pick.button }));
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors["not-available"]);
    expectNoRawKeys(missing);
  });
});

describe("language switch", () => {
  it("switches the whole app, <html lang>, and remembers the choice", async () => {
    const user = userEvent.setup();
    const { missing } = renderIn("en", <App api={fakeApi({ whoami: async () => null })} pickFiles={async () => []} />);
    await screen.findByText(en.header.no_identity);
    expect(screen.getByRole("button", { name: "English" })).toHaveAttribute("aria-pressed", "true");

    await user.click(screen.getByRole("button", { name: "မြန်မာ" }));
    await waitFor(() => expect(document.documentElement.lang).toBe("my"));
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe("my");
    expect(screen.getByRole("button", { name: "မြန်မာ" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("navigation", { name: my.nav.label })).toBeInTheDocument();
    expect(screen.getByText(my.header.no_identity)).toBeInTheDocument();
    expect(screen.queryByText(en.send.title)).toBeNull();
    expectNoRawKeys(missing);

    await user.click(screen.getByRole("button", { name: "English" }));
    await waitFor(() => expect(document.documentElement.lang).toBe("en"));
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe("en");
  });

  it("is reachable and usable with the keyboard alone", async () => {
    const user = userEvent.setup();
    renderIn("en", <App api={fakeApi()} pickFiles={async () => []} />);
    await user.tab(); // skip link
    expect(screen.getByRole("link", { name: en.nav.skip })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("button", { name: "English" })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("button", { name: "မြန်မာ" })).toHaveFocus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(document.documentElement.lang).toBe("my"));
    await user.tab();
    expect(screen.getByRole("button", { name: my.nav.send })).toHaveFocus();
  });
});

describe("raw-key detector", () => {
  it("flags keys and leaves file names alone", async () => {
    const { isRawKey } = await import("./test/render");
    expect(isRawKey("send.review.title")).toBe(true);
    expect(isRawKey("reason.admin4_location")).toBe(true);
    expect(isRawKey("errors.ipc-unavailable")).toBe(true);
    expect(isRawKey("beneficiaries.csv")).toBe(false);
    expect(isRawKey("Send files")).toBe(false);
  });
});
