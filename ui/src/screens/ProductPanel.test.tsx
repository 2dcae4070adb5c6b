import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import type { InboxEntry } from "../bindings/InboxEntry";
import { formatList, formatNumber } from "../format";
import { en, my } from "../i18n";
import { NO_SYNC } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { confidentialReview, highlyConfidentialReview, inboxEntries } from "../test/fixtures";
import { fill, isRawKey, renderIn, visibleTexts } from "../test/render";
import { InboxScreen } from "./InboxScreen";
import { productRecipients, productSources } from "./ProductPanel";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

const [fromImo, fromUnknown, expired] = inboxEntries as [InboxEntry, InboxEntry, InboxEntry];

/** A partner's data parcel, opened. */
const fromPartner: InboxEntry = {
  ...fromUnknown,
  parcel_id: "p-partner",
  label: "confidential",
  sender: { member_id: "p-9", name: "U Zaw", org: "Yoma Relief" },
  sender_status: "verified",
  files: [{ name: "distributions-shan.xlsx", size: 80_000 }],
};
/** A second parcel from the first sender: they must be named once. */
const secondFromImo: InboxEntry = {
  ...fromImo,
  parcel_id: "p-second",
  label: "restricted",
  files: [{ name: "3w-north.csv", size: 4_000 }],
  note: null,
};
/** An IMO's product received: not a partner's data, so not a source. */
const productReceived: InboxEntry = {
  ...fromImo,
  parcel_id: "p-product",
  kind: "product",
  label: "public",
  files: [{ name: "snapshot.pdf", size: 900_000 }],
  note: null,
};
/** A concern: not a source either. */
const concernReceived: InboxEntry = { ...productReceived, parcel_id: "p-concern", kind: "concern" };
/** Data its sender withdrew. */
const deletedData: InboxEntry = { ...fromPartner, parcel_id: "p-deleted", status: "deleted" };

const entries: InboxEntry[] = [
  fromImo,
  fromUnknown,
  fromPartner,
  secondFromImo,
  productReceived,
  concernReceived,
  deletedData,
  expired,
];

function rowOf(id: string): HTMLElement {
  const row = screen.getAllByTestId("inbox-row").find((element) => element.dataset.parcelId === id);
  if (!row) throw new Error(`no inbox row ${id}`);
  return row;
}

describe("product sources", () => {
  it("keeps data parcels and corrections, and counts the others by why", () => {
    const correction: InboxEntry = { ...fromPartner, parcel_id: "p-corr", kind: "correction" };
    const { sources, leftOut } = productSources([fromImo, productReceived, deletedData, correction, concernReceived]);
    expect(sources.map((entry) => entry.parcel_id)).toEqual(["p-hc", "p-corr"]);
    expect(leftOut).toEqual({ notData: 2, deleted: 1 });
  });

  it("names each sender once, and unverified if any parcel of theirs was", () => {
    const recipients = productRecipients([fromImo, fromPartner, secondFromImo, fromUnknown]);
    expect(recipients.map((r) => [r.person.member_id, r.verified])).toEqual([
      ["imo-1", true],
      ["p-9", true],
      ["x-7", false],
    ]);
  });
});

describe.each(["en", "my"] as const)("Inbox: publishing a product (%s)", (language) => {
  const c = catalogues[language];
  const P = c.products;
  const n = (value: number) => formatNumber(value, language);

  async function renderInbox(overrides: Parameters<typeof fakeApi>[0] = {}) {
    const api = fakeApi({ inbox: vi.fn(async () => entries), ...overrides });
    const rendered = renderIn(language, <InboxScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("inbox-row");
    return { api, ...rendered };
  }

  async function tick(user: ReturnType<typeof userEvent.setup>, ...ids: string[]) {
    for (const id of ids) await user.click(within(rowOf(id)).getByRole("checkbox"));
  }

  /** Ticks the parcels, opens the panel, returns it. */
  async function openPanel(user: ReturnType<typeof userEvent.setup>, ...ids: string[]) {
    await tick(user, ...ids);
    await user.click(screen.getByTestId("product-open"));
    return screen.getByTestId("product-panel");
  }

  it("offers a product only for ticked data parcels, and counts only those", async () => {
    const user = userEvent.setup();
    const { missing } = await renderInbox();
    expect(screen.queryByTestId("product-open")).toBeNull();

    // A product and a concern received are not partners' data: no offer.
    await tick(user, "p-product", "p-concern");
    expect(screen.queryByTestId("product-open")).toBeNull();

    await tick(user, "p-hc");
    expect(screen.getByTestId("product-open")).toHaveTextContent(fill(P.open, { n: n(1) }));
    expect(screen.getByRole("button", { name: fill(P.open, { n: n(1) }) })).toBeEnabled();
    await tick(user, "p-partner");
    expect(screen.getByTestId("product-open")).toHaveTextContent(fill(P.open, { n: n(2) }));

    // Every openable parcel: four data parcels (the deleted and expired ones cannot be ticked).
    await user.click(document.getElementById("select-all")!);
    expect(screen.getByTestId("product-open")).toHaveTextContent(fill(P.open, { n: n(4) }));
    await user.click(document.getElementById("select-all")!);
    expect(screen.queryByTestId("product-open")).toBeNull();

    // The panel says how many ticked parcels were left out, and why.
    await tick(user, "p-hc", "p-product", "p-concern");
    await user.click(screen.getByTestId("product-open"));
    const panel = screen.getByTestId("product-panel");
    expect(within(panel).getByTestId("product-sources").children).toHaveLength(1);
    const leftOut = within(panel).getByTestId("product-left-out");
    expect(leftOut).toHaveTextContent(fill(P.left_out.title, { n: n(2) }));
    expect(leftOut).toHaveTextContent(fill(P.left_out.not_data, { n: n(2) }));
    expect(leftOut).not.toHaveTextContent(fill(P.left_out.deleted, { n: n(0) }));
    expect(screen.getByTestId("product-open")).toHaveAttribute("aria-expanded", "true");
    expectNoRawKeys(missing);
  });

  it("names the sources and exactly their senders as recipients", async () => {
    const user = userEvent.setup();
    const { missing } = await renderInbox();
    const panel = await openPanel(user, "p-second", "p-partner", "p-hc");

    expect(within(panel).getByRole("heading", { level: 2, name: P.title })).toHaveFocus();
    expect(panel).toHaveTextContent(P.intro);
    expect(within(panel).queryByTestId("product-left-out")).toBeNull();

    // The sources, in the inbox's order, with their senders and files.
    const sources = within(within(panel).getByTestId("product-sources")).getAllByRole("listitem");
    expect(sources.map((item) => item.dataset.parcelId)).toEqual(["p-hc", "p-partner", "p-second"]);
    expect(within(panel).getByRole("heading", { level: 3, name: fill(P.sources.title, { n: n(3) }) })).toBeVisible();
    expect(sources[0]).toHaveTextContent("Ko Min Thu");
    expect(sources[0]).toHaveTextContent("beneficiaries.csv");
    expect(sources[0]).toHaveTextContent("readme.txt");
    expect(sources[1]).toHaveTextContent("U Zaw");
    expect(sources[1]).toHaveTextContent("(Yoma Relief)");
    expect(sources[1]).toHaveTextContent("distributions-shan.xlsx");
    expect(sources[2]).toHaveTextContent("3w-north.csv");

    // Who receives it: each sender once, and nobody else.
    const recipientList = within(panel).getByTestId("product-recipients");
    expect(recipientList).toHaveAccessibleName(P.recipients.intro);
    const recipients = within(recipientList).getAllByRole("listitem");
    expect(recipients.map((item) => item.dataset.memberId)).toEqual(["imo-1", "p-9"]);
    expect(recipients[0]).toHaveTextContent("Ko Min Thu (Cluster IMO team)");
    expect(recipients[1]).toHaveTextContent("U Zaw (Yoma Relief)");
    expect(recipientList).not.toHaveTextContent("Someone");
    expect(panel).toHaveTextContent(P.recipients.nobody_else);
    expect(panel).not.toHaveTextContent(P.recipients.unverified);

    // Nothing to publish yet.
    expect(within(panel).getByTestId("product-publish")).toBeDisabled();
    expect(within(panel).getByTestId("product-publish")).toHaveAccessibleDescription(P.not_ready);
    expectNoRawKeys(missing);
  });

  it("warns when the roster does not vouch for a sender", async () => {
    const user = userEvent.setup();
    const { missing } = await renderInbox();
    const panel = await openPanel(user, "p-restricted");
    const [recipient] = within(within(panel).getByTestId("product-recipients")).getAllByRole("listitem");
    expect(recipient).toHaveTextContent("Someone (Unknown NGO)");
    expect(recipient).toHaveTextContent(P.recipients.unverified);
    expectNoRawKeys(missing);
  });

  it("publishes the picked files to the sources' senders with the label and the note", async () => {
    const user = userEvent.setup();
    const publishProduct = vi.fn(async () => ({
      parcel_id: "product-7",
      kind: "product",
      size: 1,
      recipients: ["Ko Min Thu", "U Zaw"],
    }));
    const { api, missing } = await renderInbox({
      pickFiles: vi.fn(async () => ["/home/imo/4w-shan-november.pdf"]),
      scanFiles: vi.fn(async () => confidentialReview),
      publishProduct,
    });
    const panel = await openPanel(user, "p-hc", "p-partner");

    await user.click(within(panel).getByTestId("product-pick"));
    expect(api.pickFiles).toHaveBeenCalledOnce();
    expect(api.scanFiles).toHaveBeenCalledWith(["/home/imo/4w-shan-november.pdf"]);
    expect(within(panel).getByTestId("product-files")).toHaveTextContent("4w-shan-november.pdf");
    expect(within(panel).getByTestId("product-pick")).toHaveTextContent(P.files.pick_other);

    // The label step of the Send screen, the scan's suggestion pre-selected.
    expect(panel).toHaveTextContent(P.label.choose);
    expect(within(panel).getByTestId("suggested-label").querySelector("[data-label]")).toHaveAttribute(
      "data-label",
      "confidential",
    );
    expect(within(panel).getByRole("radio", { checked: true })).toHaveAttribute("value", "confidential");
    expect(within(panel).queryByTestId("product-publish")).toBeNull();
    await user.click(within(panel).getByRole("button", { name: c.common.next }));

    const chosen = within(panel).getByTestId("product-label");
    expect(chosen).toHaveTextContent(P.label.chosen);
    expect(chosen.querySelector("[data-label]")).toHaveAttribute("data-label", "confidential");
    await waitFor(() => expect(chosen).toHaveFocus());

    const note = within(panel).getByLabelText(P.note_label);
    expect(note).toHaveAttribute("maxLength", "4000");
    await user.type(note, "Totals per township only");
    const publish = within(panel).getByTestId("product-publish");
    expect(publish).toHaveTextContent(P.publish);
    expect(publish).toBeEnabled();
    expectNoRawKeys(missing);
    await user.click(publish);

    expect(publishProduct).toHaveBeenCalledOnce();
    expect(publishProduct).toHaveBeenCalledWith({
      files: ["/home/imo/4w-shan-november.pdf"],
      sources: ["p-hc", "p-partner"],
      label: "confidential",
      override_reason: null,
      note: "Totals per township only",
    });

    // The outcome names the recipients the shell sealed to; the panel is gone, the ticks too.
    const done = await screen.findByTestId("product-published");
    expect(done).toHaveTextContent(fill(P.done, { recipients: formatList(["Ko Min Thu", "U Zaw"], language) }));
    expect(screen.queryByTestId("product-panel")).toBeNull();
    await waitFor(() => expect(done.closest(".product-outcome")).toHaveFocus());
    expect(within(rowOf("p-hc")).getByRole("checkbox")).not.toBeChecked();
    expect(screen.queryByTestId("product-open")).toBeNull();
    expectNoRawKeys(missing);

    await user.click(screen.getByRole("button", { name: P.close }));
    expect(screen.queryByTestId("product-published")).toBeNull();
  });

  it("needs a reason before publishing under a label below the suggestion", async () => {
    const user = userEvent.setup();
    const { api, missing } = await renderInbox({
      pickFiles: vi.fn(async () => ["/home/imo/beneficiaries-summary.csv"]),
      scanFiles: vi.fn(async () => highlyConfidentialReview),
    });
    const panel = await openPanel(user, "p-partner");
    await user.click(within(panel).getByTestId("product-pick"));
    expect(within(panel).getByRole("radio", { checked: true })).toHaveAttribute("value", "highly-confidential");

    await user.click(within(panel).getByRole("radio", { name: new RegExp(`^${c.label.restricted.name}`) }));
    expect(panel).toHaveTextContent(
      fill(c.label_chooser.lower_warning, { suggested: c.label.highly_confidential.name }),
    );
    const next = within(panel).getByRole("button", { name: c.common.next });
    expect(next).toBeDisabled();
    expect(within(panel).queryByTestId("product-publish")).toBeNull();
    const reason = within(panel).getByRole("textbox", { name: c.label_chooser.reason_label });
    await user.type(reason, "abc");
    expect(next).toBeDisabled();
    await user.clear(reason);
    await user.type(reason, "only  township totals,\nno names");
    expect(next).toBeEnabled();
    await user.click(next);

    expect(within(panel).getByTestId("product-label").querySelector("[data-label]")).toHaveAttribute(
      "data-label",
      "restricted",
    );
    expect(panel).toHaveTextContent(fill(P.label.reason, { reason: "only township totals, no names" }));
    await user.click(within(panel).getByTestId("product-publish"));
    expect(api.publishProduct).toHaveBeenCalledWith({
      files: ["/home/imo/beneficiaries-summary.csv"],
      sources: ["p-partner"],
      label: "restricted",
      override_reason: "only township totals, no names",
      note: null,
    });
    // The fake names no recipients: the outcome says so without a list.
    expect(await screen.findByTestId("product-published")).toHaveTextContent(P.done_plain);
    expectNoRawKeys(missing);
  });

  it("shows a refusal by its code and keeps the panel", async () => {
    const user = userEvent.setup();
    const { missing } = await renderInbox({
      pickFiles: vi.fn(async () => ["/home/imo/map.pdf"]),
      scanFiles: vi.fn(async () => confidentialReview),
      publishProduct: vi.fn(async () => {
        throw new ApiError("member-removed", "U Zaw was removed from the cluster");
      }),
    });
    const panel = await openPanel(user, "p-partner");
    await user.click(within(panel).getByTestId("product-pick"));
    await user.click(within(panel).getByRole("button", { name: c.common.next }));
    await user.click(within(panel).getByTestId("product-publish"));

    const alert = await within(panel).findByRole("alert");
    expect(alert).toHaveTextContent(c.errors.title);
    expect(alert).toHaveTextContent(c.errors["member-removed"]);
    expect(screen.queryByTestId("product-published")).toBeNull();
    expect(within(panel).getByTestId("product-publish")).toBeEnabled();
    expectNoRawKeys(missing);
  });

  it("asks for the label again when the shell finds the files now need a higher one", async () => {
    const user = userEvent.setup();
    const scanFiles = vi.fn().mockResolvedValueOnce(confidentialReview).mockResolvedValue(highlyConfidentialReview);
    const publishProduct = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("label-below-suggestion", "the label is below the suggestion"))
      .mockResolvedValue({ parcel_id: "product-8", kind: "product", size: 1, recipients: ["U Zaw"] });
    const { missing } = await renderInbox({
      pickFiles: vi.fn(async () => ["/home/imo/table.xlsx"]),
      scanFiles,
      publishProduct,
    });
    const panel = await openPanel(user, "p-partner");
    await user.click(within(panel).getByTestId("product-pick"));
    await user.click(within(panel).getByRole("button", { name: c.common.next }));
    await user.click(within(panel).getByTestId("product-publish"));

    expect(await within(panel).findByRole("alert")).toHaveTextContent(c.errors["label-below-suggestion"]);
    expect(await within(panel).findByText(P.label.again)).toBeInTheDocument();
    expect(scanFiles).toHaveBeenCalledTimes(2);
    expect(within(panel).getByRole("radio", { checked: true })).toHaveAttribute("value", "highly-confidential");
    expectNoRawKeys(missing);
    await user.click(within(panel).getByRole("button", { name: c.common.next }));
    await user.click(within(panel).getByTestId("product-publish"));
    expect(publishProduct).toHaveBeenLastCalledWith(
      expect.objectContaining({ label: "highly-confidential", override_reason: null }),
    );
    expect(await screen.findByTestId("product-published")).toHaveTextContent(
      fill(P.done, { recipients: formatList(["U Zaw"], language) }),
    );
  });

  it("publishes nothing without files, and Cancel closes the panel", async () => {
    const user = userEvent.setup();
    const { api, missing } = await renderInbox({ pickFiles: vi.fn(async () => [] as string[]) });
    const panel = await openPanel(user, "p-hc");
    await user.click(within(panel).getByTestId("product-pick"));
    expect(panel).toHaveTextContent(P.files.none);
    expect(api.scanFiles).not.toHaveBeenCalled();
    expect(within(panel).getByTestId("product-publish")).toBeDisabled();
    expectNoRawKeys(missing);

    await user.click(within(panel).getByRole("button", { name: P.cancel }));
    expect(screen.queryByTestId("product-panel")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("product-open")).toHaveFocus());
    expect(api.publishProduct).not.toHaveBeenCalled();
  });
});
