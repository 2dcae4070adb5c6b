import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { en, my } from "../i18n";
import { fakeApi } from "../test/fakeApi";
import { contactList, highlyConfidentialReview } from "../test/fixtures";
import { COPY, ORIGINAL, copy, listReview, suggestedPlan } from "../test/pseudonymiseFixtures";
import { isRawKey, renderIn, visibleTexts } from "../test/render";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

/** A shell with one beneficiary list picked, a plan for it, and the copy it makes. */
function pseudonymiseApi() {
  return fakeApi({
    pickFiles: vi.fn(async () => [ORIGINAL]),
    scanFiles: vi.fn(async () => listReview),
    contacts: vi.fn(async () => contactList),
    suggestPseudonymisation: vi.fn(async (path: string) => (path === ORIGINAL ? suggestedPlan : null)),
    pseudonymiseFile: vi.fn(async () => copy),
  });
}

async function pick(user: ReturnType<typeof userEvent.setup>) {
  await waitFor(() => expect(document.getElementById("pick-files")).toBeEnabled());
  await user.click(document.getElementById("pick-files")!);
}

function offer(path: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[data-action="pseudonymise"][data-file="${path}"]`);
}

describe.each(["en", "my"] as const)("Send with a pseudonymised copy (%s)", (language) => {
  const c = catalogues[language];
  const p = c.pseudonymise;

  it("sends the copy instead of the original, under the copy's suggested label", async () => {
    const user = userEvent.setup();
    const api = pseudonymiseApi();
    const { missing } = renderIn(language, <App api={api} />);
    await pick(user);

    // The review offers the copy for the list.
    await waitFor(() => expect(offer(ORIGINAL)).not.toBeNull());
    expect(api.suggestPseudonymisation).toHaveBeenCalledWith(ORIGINAL);
    expect(screen.getByTestId("pseudonymise-offers")).toHaveTextContent(p.offers.intro);
    expect(offer(ORIGINAL)).toHaveTextContent(p.offers.button);
    expectNoRawKeys(missing);

    // Panel → make the copy → preview → send the copy instead.
    await user.click(offer(ORIGINAL)!);
    const panel = screen.getByTestId("pseudonymise-panel");
    expect(document.getElementById("review-next")).toBeNull();
    await user.click(within(panel).getByRole("button", { name: p.panel.make }));
    await screen.findByTestId("pseudonymise-preview");
    expectNoRawKeys(missing);
    await user.click(document.getElementById("use-copy")!);

    // Back in the review: the copy's scan, the original named as replaced.
    expect(screen.queryByTestId("pseudonymise-panel")).toBeNull();
    expect(screen.getByRole("heading", { level: 2 })).toHaveFocus();
    await screen.findByRole("region", { name: "beneficiaries-pseudonymised.csv" });
    expect(screen.getByTestId("suggested-label").querySelector("[data-label]")).toHaveAttribute(
      "data-label",
      "confidential",
    );
    expect(offer(ORIGINAL)).toBeNull();
    expect(document.querySelector(`[data-action="use-original"][data-file="${ORIGINAL}"]`)).not.toBeNull();
    expect(screen.getByTestId("pseudonymise-offers")).toHaveTextContent(
      p.offers.using_copy.replace("{{copy}}", "beneficiaries-pseudonymised.csv").replace("{{file}}", "beneficiaries.csv"),
    );
    expectNoRawKeys(missing);

    // The label step suggests the copy's label.
    await user.click(document.getElementById("review-next")!);
    expect(screen.getByRole("radio", { checked: true })).toHaveAttribute("value", "confidential");
    expect(screen.getByTestId("copy-in-use")).toHaveTextContent(
      p.summary.copy.replace("{{file}}", "beneficiaries.csv").replace("{{copy}}", "beneficiaries-pseudonymised.csv"),
    );
    await user.click(document.getElementById("label-next")!);

    // Recipients → send: the copy's path, not the original's.
    await screen.findByRole("checkbox", { name: /Ko Min Thu/ });
    expect(screen.getByTestId("copy-in-use")).toBeInTheDocument();
    expectNoRawKeys(missing);
    await user.click(document.getElementById("send")!);
    expect(api.send).toHaveBeenCalledWith({
      files: [COPY],
      to: ["imo-1", "imo-2"],
      label: "confidential",
      override_reason: null,
      note: null,
    });
    await screen.findByTestId("send-result");
  });

  it("goes back to the original when asked", async () => {
    const user = userEvent.setup();
    const api = pseudonymiseApi();
    const { missing } = renderIn(language, <App api={api} />);
    await pick(user);
    await waitFor(() => expect(offer(ORIGINAL)).not.toBeNull());
    await user.click(offer(ORIGINAL)!);
    await user.click(document.getElementById("make-copy")!);
    await user.click(await screen.findByRole("button", { name: p.preview.use_copy }));
    await user.click(screen.getByRole("button", { name: p.offers.use_original }));

    await waitFor(() => expect(offer(ORIGINAL)).toHaveFocus());
    await screen.findByRole("region", { name: "beneficiaries.csv" });
    expectNoRawKeys(missing);
    await user.click(document.getElementById("review-next")!);
    expect(screen.getByRole("radio", { checked: true })).toHaveAttribute("value", "highly-confidential");
    expect(screen.queryByTestId("copy-in-use")).toBeNull();
    await user.click(document.getElementById("label-next")!);
    await screen.findByRole("checkbox", { name: /Ko Min Thu/ });
    await user.click(document.getElementById("send")!);
    expect(api.send).toHaveBeenCalledWith(expect.objectContaining({ files: [ORIGINAL], label: "highly-confidential" }));
  });

  it("keeps the original when the panel is closed without a copy", async () => {
    const user = userEvent.setup();
    const api = pseudonymiseApi();
    renderIn(language, <App api={api} />);
    await pick(user);
    await waitFor(() => expect(offer(ORIGINAL)).not.toBeNull());
    await user.click(offer(ORIGINAL)!);
    await user.click(document.getElementById("keep-original")!);
    expect(screen.queryByTestId("pseudonymise-panel")).toBeNull();
    await waitFor(() => expect(offer(ORIGINAL)).toHaveFocus());
    expect(api.pseudonymiseFile).not.toHaveBeenCalled();
    await user.click(document.getElementById("review-next")!);
    await user.click(document.getElementById("label-next")!);
    await screen.findByRole("checkbox", { name: /Ko Min Thu/ });
    await user.click(document.getElementById("send")!);
    expect(api.send).toHaveBeenCalledWith(expect.objectContaining({ files: [ORIGINAL] }));
  });
});

describe("the pseudonymise offer", () => {
  it("is asked for only for scanned confidential or highly confidential files", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ suggestPseudonymisation: vi.fn(async () => suggestedPlan) });
    renderIn("en", <App api={api} />);
    await pick(user);
    await waitFor(() => expect(offer(ORIGINAL)).not.toBeNull());
    // scan.pdf could not be read: there is no table to pseudonymise.
    expect(api.suggestPseudonymisation).toHaveBeenCalledTimes(1);
    expect(api.suggestPseudonymisation).toHaveBeenCalledWith(ORIGINAL);
    expect(offer("/home/aye/scan.pdf")).toBeNull();
    expect(highlyConfidentialReview.reports[1]!.scanned).toBe(false);
  });

  it("does not appear when no file has a plan, and the flow is unchanged", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ contacts: vi.fn(async () => contactList) });
    renderIn("en", <App api={api} />);
    await pick(user);
    await screen.findByRole("region", { name: "beneficiaries.csv" });
    await waitFor(() => expect(api.suggestPseudonymisation).toHaveBeenCalled());
    expect(screen.queryByTestId("pseudonymise-offers")).toBeNull();
    await user.click(document.getElementById("review-next")!);
    await user.click(document.getElementById("label-next")!);
    await screen.findByRole("checkbox", { name: /Ko Min Thu/ });
    await user.click(document.getElementById("send")!);
    expect(api.send).toHaveBeenCalledWith(
      expect.objectContaining({ files: ["/home/aye/beneficiaries.csv", "/home/aye/scan.pdf"] }),
    );
  });

  it("ignores a plan that arrives after the sender picked again", async () => {
    const user = userEvent.setup();
    const answers: ((plan: typeof suggestedPlan) => void)[] = [];
    const api = fakeApi({
      pickFiles: vi.fn(async () => [ORIGINAL]),
      scanFiles: vi.fn(async () => listReview),
      suggestPseudonymisation: vi.fn(() => new Promise<typeof suggestedPlan>((resolve) => answers.push(resolve))),
    });
    renderIn("en", <App api={api} />);
    await pick(user);
    await screen.findByRole("region", { name: "beneficiaries.csv" });
    await user.click(screen.getByRole("button", { name: en.common.back }));
    await pick(user);
    await screen.findByRole("region", { name: "beneficiaries.csv" });
    await waitFor(() => expect(answers).toHaveLength(2));
    // The first pick's answer comes late: it is not offered for the second pick.
    answers[0]!(suggestedPlan);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(offer(ORIGINAL)).toBeNull();
    answers[1]!(suggestedPlan);
    await waitFor(() => expect(offer(ORIGINAL)).not.toBeNull());
  });
});
