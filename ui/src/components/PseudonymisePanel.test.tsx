import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import { formatList, formatNumber } from "../format";
import { en, my } from "../i18n";
import { fakeApi } from "../test/fakeApi";
import { COPY, ORIGINAL, copy, originalReport, suggestedPlan } from "../test/pseudonymiseFixtures";
import { isRawKey, renderIn, visibleTexts } from "../test/render";
import { PseudonymisePanel, buildPlan } from "./PseudonymisePanel";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

function column(name: string): HTMLElement {
  const fieldset = document.querySelector<HTMLElement>(`fieldset[data-column="${name}"]`);
  if (!fieldset) throw new Error(`no column ${name}`);
  return fieldset;
}

function checked(name: string): string | null {
  return column(name).querySelector<HTMLInputElement>("input[type=radio]:checked")?.value ?? null;
}

function choose(name: string, choice: string): HTMLInputElement {
  return column(name).querySelector<HTMLInputElement>(`input[type=radio][value="${choice}"]`)!;
}

function setup(overrides: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({ pseudonymiseFile: vi.fn(async () => copy), ...overrides });
  const onUseCopy = vi.fn();
  const onKeepOriginal = vi.fn();
  const ui = (
    <PseudonymisePanel
      api={api}
      path={ORIGINAL}
      plan={suggestedPlan}
      report={originalReport}
      onUseCopy={onUseCopy}
      onKeepOriginal={onKeepOriginal}
    />
  );
  return { api, onUseCopy, onKeepOriginal, ui };
}

describe("buildPlan", () => {
  it("keeps the suggestion as it is when nothing is changed", () => {
    expect(buildPlan(suggestedPlan, {}, 3)).toEqual({
      pseudonymise: ["Name", "ဖုန်းနံပါတ်"],
      drop: ["Latitude", "Longitude"],
      mask: ["NRC"],
      admin_level: 3,
      quasi_identifiers: ["Sex"],
    });
  });

  it("moves columns by choice and keeps a quasi-identifier that is no longer dropped", () => {
    expect(buildPlan(suggestedPlan, { Name: "keep", NRC: "drop", Latitude: "mask" }, null)).toEqual({
      pseudonymise: ["ဖုန်းနံပါတ်"],
      drop: ["NRC", "Longitude"],
      mask: ["Latitude"],
      admin_level: null,
      quasi_identifiers: ["Sex", "Latitude"],
    });
  });
});

describe.each(["en", "my"] as const)("PseudonymisePanel (%s)", (language) => {
  const c = catalogues[language];
  const p = c.pseudonymise;

  it("shows the suggested plan per column, with the choices explained", () => {
    const { ui } = setup();
    const { missing } = renderIn(language, ui);
    const panel = screen.getByTestId("pseudonymise-panel");
    expect(panel).toHaveAttribute("data-file", ORIGINAL);
    expect(screen.getByRole("heading", { level: 3 })).toHaveTextContent("beneficiaries.csv");
    expect(screen.getByRole("heading", { level: 3 })).toHaveFocus();
    expect(panel).toHaveTextContent(p.panel.where);

    const columns = [...panel.querySelectorAll<HTMLElement>("fieldset[data-column]")].map((f) => f.dataset.column);
    expect(columns).toEqual(["Name", "ဖုန်းနံပါတ်", "NRC", "Latitude", "Longitude"]);
    expect(checked("Name")).toBe("pseudonymise");
    expect(checked("ဖုန်းနံပါတ်")).toBe("pseudonymise");
    expect(checked("NRC")).toBe("mask");
    expect(checked("Latitude")).toBe("drop");
    expect(checked("Longitude")).toBe("drop");
    expect(screen.getByRole("group", { name: p.panel.column.replace("{{column}}", "NRC") })).toBeInTheDocument();

    // What each choice means, as the radios' descriptions.
    for (const choice of ["keep", "pseudonymise", "mask", "drop"] as const) {
      expect(choose("Name", choice)).toHaveAccessibleDescription(p.help[choice]);
      expect(choose("Name", choice)).toHaveAccessibleName(expect.stringContaining(p.choice[choice]));
    }
    // What the scan found in a column.
    expect(within(column("ဖုန်းနံပါတ်")).getByText(p.panel.found.replace("{{what}}", c.reason.phone))).toBeInTheDocument();

    // P-codes: township suggested, the other levels and "keep" offered.
    const level = screen.getByLabelText<HTMLSelectElement>(p.panel.pcodes);
    expect(level).toHaveAttribute("id", "admin-level");
    expect(level.value).toBe("3");
    expect([...level.options].map((o) => o.value)).toEqual(["keep", "3", "2", "1"]);
    expect(document.getElementById("make-copy")).toBeEnabled();
    expectNoRawKeys(missing);
  });

  it("passes the changed choices to pseudonymiseFile", async () => {
    const user = userEvent.setup();
    const { api, ui } = setup();
    renderIn(language, ui);
    await user.click(choose("Name", "mask"));
    await user.click(choose("Latitude", "keep"));
    await user.click(choose("NRC", "drop"));
    await user.selectOptions(screen.getByLabelText(p.panel.pcodes), "2");
    expect(checked("Name")).toBe("mask");
    await user.click(document.getElementById("make-copy")!);
    expect(api.pseudonymiseFile).toHaveBeenCalledWith(ORIGINAL, {
      pseudonymise: ["ဖုန်းနံပါတ်"],
      drop: ["NRC", "Longitude"],
      mask: ["Name"],
      admin_level: 2,
      quasi_identifiers: ["Sex", "Latitude"],
    });
  });

  it("cannot make a copy that changes nothing", async () => {
    const user = userEvent.setup();
    const { api, ui } = setup();
    const { missing } = renderIn(language, ui);
    for (const name of ["Name", "ဖုန်းနံပါတ်", "NRC", "Latitude", "Longitude"]) await user.click(choose(name, "keep"));
    await user.selectOptions(screen.getByLabelText(p.panel.pcodes), "keep");
    const make = document.getElementById("make-copy")!;
    expect(make).toBeDisabled();
    expect(make).toHaveAccessibleDescription(p.panel.nothing);
    await user.click(make);
    expect(api.pseudonymiseFile).not.toHaveBeenCalled();
    expectNoRawKeys(missing);
  });

  it("previews the columns, counts, warnings and the copy's new label", async () => {
    const user = userEvent.setup();
    const { ui } = setup();
    const { missing } = renderIn(language, ui);
    await user.click(document.getElementById("make-copy")!);
    const preview = await screen.findByTestId("pseudonymise-preview");
    expect(within(preview).getByRole("heading", { level: 4, name: p.preview.title })).toHaveFocus();
    expect(document.querySelector("fieldset[data-column]")).toBeNull();

    // Per column: what was done and how many cells.
    const rows = [...preview.querySelectorAll<HTMLElement>("tbody tr")];
    expect(rows.map((row) => [row.dataset.column, row.dataset.columnAction])).toEqual([
      ["Name", "pseudonymised"],
      ["ဖုန်းနံပါတ်", "pseudonymised"],
      ["NRC", "masked"],
      ["Latitude", "dropped"],
      ["Longitude", "dropped"],
      ["Village Tract Pcode", "generalised"],
    ]);
    const cells = (row: HTMLElement) => [...row.querySelectorAll("th, td")].map((cell) => cell.textContent);
    expect(cells(rows[2]!)).toEqual([
      "NRC",
      p.preview.action.masked,
      formatNumber(998, language),
      formatNumber(25, language),
    ]);
    expect(cells(rows[3]!)[1]).toBe(p.preview.action.dropped);
    expect(cells(rows[5]!)[1]).toBe(p.preview.generalised_to.replace("{{level}}", p.preview.level.level_3));
    expect(within(preview).getByRole("table")).toHaveAccessibleName(
      p.preview.sheet.replace("{{name}}", "beneficiaries.csv").replace("{{rows}}", formatNumber(1023, language)),
    );

    // The k-anonymity warning, in the reader's language, and Rust's warnings.
    const warning = screen.getByTestId("k-anonymity-warning");
    expect(warning).toHaveTextContent(p.preview.k_title);
    expect(warning).toHaveTextContent(
      p.preview.k_warning
        .replace("{{rows}}", formatNumber(9, language))
        .replace("{{columns}}", formatList(["Sex", "Village Tract Pcode"], language))
        .replace("{{k}}", formatNumber(3, language))
        .replace("{{groups}}", formatNumber(6, language)),
    );
    expect(screen.getByTestId("pseudonymise-warnings")).toHaveTextContent(/shared by fewer than 3 rows/);

    // The label before → the copy's suggested label.
    expect(screen.getByTestId("label-before").querySelector("[data-label]")).toHaveAttribute(
      "data-label",
      "highly-confidential",
    );
    expect(screen.getByTestId("label-after").querySelector("[data-label]")).toHaveAttribute("data-label", "confidential");
    expect(screen.getByTestId("copy-reasons")).toHaveTextContent(c.reason.household);

    // Where the copy is, and that the original is unchanged.
    expect(screen.getByTestId("copy-path")).toHaveTextContent(COPY);
    expect(preview).toHaveTextContent(p.preview.original);
    expectNoRawKeys(missing);
  });

  it("hands the copy's path and scan back with Send the copy instead", async () => {
    const user = userEvent.setup();
    const { onUseCopy, onKeepOriginal, ui } = setup();
    renderIn(language, ui);
    await user.click(document.getElementById("make-copy")!);
    await screen.findByTestId("pseudonymise-preview");
    await user.click(screen.getByRole("button", { name: p.preview.use_copy }));
    expect(onUseCopy).toHaveBeenCalledWith(COPY, copy.report.scan);
    expect(onKeepOriginal).not.toHaveBeenCalled();
  });

  it("keeps the original, from the plan or from the preview", async () => {
    const user = userEvent.setup();
    const { onUseCopy, onKeepOriginal, ui } = setup();
    renderIn(language, ui);
    await user.click(screen.getByRole("button", { name: p.panel.keep_original }));
    expect(onKeepOriginal).toHaveBeenCalledTimes(1);
    await user.click(document.getElementById("make-copy")!);
    await screen.findByTestId("pseudonymise-preview");
    await user.click(document.getElementById("keep-original")!);
    expect(onKeepOriginal).toHaveBeenCalledTimes(2);
    expect(onUseCopy).not.toHaveBeenCalled();
  });

  it("goes back to the choices from the preview, keeping them", async () => {
    const user = userEvent.setup();
    const { api, ui } = setup();
    renderIn(language, ui);
    await user.click(choose("Name", "drop"));
    await user.click(document.getElementById("make-copy")!);
    await screen.findByTestId("pseudonymise-preview");
    await user.click(screen.getByRole("button", { name: p.preview.change }));
    expect(checked("Name")).toBe("drop");
    await user.click(document.getElementById("make-copy")!);
    expect(api.pseudonymiseFile).toHaveBeenCalledTimes(2);
  });

  it("offers to import the cluster's key when this computer has none, and tries again", async () => {
    const user = userEvent.setup();
    const pseudonymiseFile = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("pseudonym-key-missing", "no pseudonymisation key"))
      .mockResolvedValue(copy);
    const pickKeyFile = vi.fn().mockResolvedValueOnce(null).mockResolvedValue("/home/aye/Downloads/pseudonym.key");
    const { api, ui } = setup({ pseudonymiseFile, pickKeyFile });
    const { missing } = renderIn(language, ui);
    await user.click(document.getElementById("make-copy")!);

    const notice = await screen.findByTestId("pseudonym-key-missing");
    expect(notice).toHaveTextContent(p.key.title);
    expect(notice).toHaveTextContent(p.key.body);
    expectNoRawKeys(missing);

    // Cancelled: nothing imported, said so.
    await user.click(within(notice).getByRole("button", { name: p.key.import }));
    expect(await screen.findByText(p.key.cancelled)).toBeInTheDocument();
    expect(api.importPseudonymKey).not.toHaveBeenCalled();
    expect(pseudonymiseFile).toHaveBeenCalledTimes(1);

    // Chosen: imported, then the copy is made with the same plan.
    await user.click(document.getElementById("import-key")!);
    await screen.findByTestId("pseudonymise-preview");
    expect(api.importPseudonymKey).toHaveBeenCalledWith("/home/aye/Downloads/pseudonym.key");
    expect(pseudonymiseFile).toHaveBeenCalledTimes(2);
    expect(pseudonymiseFile).toHaveBeenLastCalledWith(ORIGINAL, pseudonymiseFile.mock.calls[0]![1]);
    expect(screen.queryByTestId("pseudonym-key-missing")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("says why a key file was refused", async () => {
    const user = userEvent.setup();
    const { ui } = setup({
      pseudonymiseFile: vi.fn(async () => {
        throw new ApiError("pseudonym-key-missing", "no key");
      }),
      pickKeyFile: vi.fn(async () => "/home/aye/notes.txt"),
      importPseudonymKey: vi.fn(async () => {
        throw new ApiError("pseudonym-key-invalid", "not a key");
      }),
    });
    const { missing } = renderIn(language, ui);
    await user.click(document.getElementById("make-copy")!);
    await user.click(await screen.findByRole("button", { name: p.key.import }));
    await waitFor(() => expect(screen.getByText(p.errors["pseudonym-key-invalid"])).toBeInTheDocument());
    expect(screen.getByTestId("pseudonym-key-missing")).toBeInTheDocument();
    expectNoRawKeys(missing);
  });

  it.each(["column-conflict", "unknown-column", "nothing-to-do", "unreadable-input", "no-header"] as const)(
    "says %s in the reader's language, Rust's message as details",
    async (code) => {
      const user = userEvent.setup();
      const { ui } = setup({
        pseudonymiseFile: vi.fn(async () => {
          throw new ApiError(code, `rust says ${code}`);
        }),
      });
      const { missing } = renderIn(language, ui);
      await user.click(document.getElementById("make-copy")!);
      const alert = await screen.findByRole("alert");
      expect(alert).toHaveTextContent(p.errors[code]);
      expect(alert).toHaveTextContent(`rust says ${code}`);
      expect(document.getElementById("make-copy")).toBeEnabled();
      expect(screen.queryByTestId("pseudonymise-preview")).toBeNull();
      expectNoRawKeys(missing);
    },
  );

  it("says other errors as the app does", async () => {
    const user = userEvent.setup();
    const { ui } = setup({
      pseudonymiseFile: vi.fn(async () => {
        throw new ApiError("io", "disk full");
      }),
    });
    const { missing } = renderIn(language, ui);
    await user.click(document.getElementById("make-copy")!);
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors.io);
    expectNoRawKeys(missing);
  });
});
