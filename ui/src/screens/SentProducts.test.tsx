import { screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { SentEntry } from "../bindings/SentEntry";
import { formatDateTime } from "../format";
import { en, my } from "../i18n";
import { NO_SYNC } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { sentEntries, sentWithProduct } from "../test/fixtures";
import { isRawKey, renderIn, visibleTexts, fill } from "../test/render";
import { SentScreen } from "./SentScreen";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

function rowOf(id: string): HTMLElement {
  const row = screen.getAllByTestId("sent-row").find((element) => element.dataset.parcelId === id);
  if (!row) throw new Error(`no sent row ${id}`);
  return row;
}

/** The fixture's parcel without products ("s-1"), then the one an IMO made a report from ("s-2"). */
const sent: SentEntry[] = [...sentEntries, sentWithProduct];

describe.each(["en", "my"] as const)("Sent: products made from a parcel (%s)", (language) => {
  const c = catalogues[language];
  const P = c.parcel.products;

  async function renderSent(entries: SentEntry[]) {
    const api = fakeApi({ sent: vi.fn(async () => entries) });
    const rendered = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("sent-row");
    return rendered;
  }

  it("lists the product under the parcel it was made from", async () => {
    const { missing } = await renderSent(sent);
    const row = rowOf("s-2");

    const heading = within(row).getByRole("heading", { level: 3, name: P.title });
    // After the recipients, at the same level as "Shared with".
    const sharedWith = within(row).getByRole("heading", { level: 3, name: c.sent.shared_with });
    expect(sharedWith.compareDocumentPosition(heading) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    const list = within(row).getByTestId("products");
    expect(list.tagName).toBe("UL");
    expect(list).toHaveAccessibleName(P.title);
    const products = within(list).getAllByTestId("product");
    expect(products).toHaveLength(1);
    const product = products[0]!;
    expect(product.tagName).toBe("LI");
    expect(product).toHaveAttribute("data-parcel-id", "prod-1");

    expect(within(product).getByText("food-security-snapshot-feb.pdf")).toHaveClass("file-name");
    expect(within(product).getByTestId("product-publisher")).toHaveTextContent(
      fill(P.published_by, { name: "Ko Min Thu", org: "Cluster IMO team" }),
    );
    expect(product).toHaveTextContent("Ko Min Thu");
    expect(product).toHaveTextContent("(Cluster IMO team)");
    expect(product).toHaveTextContent(
      fill(P.received_at, { time: formatDateTime("2025-03-02T06:30:00Z", language) }),
    );
    // What the publisher wrote with it, as written (a link is not translated).
    expect(within(product).getByTestId("product-note")).toHaveTextContent(
      "The interactive version: https://example.org/snapshot",
    );

    const chip = product.querySelector(".chip");
    expect(chip).not.toBeNull();
    expect(chip).toHaveAttribute("data-label", "restricted");
    expect(chip).toHaveTextContent(c.label.restricted.name);
    // The product's own label, not the parcel's (highly confidential).
    expect(chip).not.toHaveTextContent(c.label.highly_confidential.name);

    expect(row).toHaveTextContent(P.open_in_inbox);
    // Opening is done in the Inbox: nothing to press here.
    expect(within(list).queryAllByRole("button")).toEqual([]);
    expectNoRawKeys(missing);
  });

  it("shows nothing extra under a parcel without products", async () => {
    const { missing } = await renderSent(sent);
    const row = rowOf("s-1");
    expect(within(row).queryByTestId("products")).toBeNull();
    expect(within(row).queryByTestId("product")).toBeNull();
    expect(within(row).queryByRole("heading", { name: P.title })).toBeNull();
    expect(row).not.toHaveTextContent(P.open_in_inbox);
    expect(row).not.toHaveTextContent("food-security-snapshot-feb.pdf");
    // The only product on the screen is the one under s-2.
    expect(screen.getAllByTestId("product")).toHaveLength(1);
    expect(screen.getAllByRole("heading", { name: P.title })).toHaveLength(1);
    expectNoRawKeys(missing);
  });

  it("has no products section at all when no parcel has products", async () => {
    const { missing } = await renderSent(sentEntries);
    expect(screen.getAllByTestId("sent-row")).toHaveLength(1);
    expect(screen.queryByTestId("products")).toBeNull();
    expect(screen.queryByRole("heading", { name: P.title })).toBeNull();
    expect(screen.queryByText(P.open_in_inbox)).toBeNull();
    expectNoRawKeys(missing);
  });
});
