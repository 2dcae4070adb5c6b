import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { I18nextProvider } from "react-i18next";
// Noto Sans Myanmar, bundled from npm into dist/ (no CDN, no network at run time).
import "@fontsource/noto-sans-myanmar/400.css";
import "@fontsource/noto-sans-myanmar/700.css";
import "./styles.css";
import { api, reportFirstPaint } from "./api";
import { App } from "./App";
import { createI18n, storedLanguage } from "./i18n";

const i18n = createI18n(storedLanguage());

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <I18nextProvider i18n={i18n}>
      <App api={api} />
    </I18nextProvider>
  </StrictMode>,
);

// The frame after the next one is the first with the app on screen: tell the shell, which
// prints the time when measuring start-up (bench/desktop) and ignores it otherwise.
requestAnimationFrame(() => requestAnimationFrame(reportFirstPaint));
