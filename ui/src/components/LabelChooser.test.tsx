import { en, my } from "../i18n";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderIn } from "../test/render";
import { LabelChooser } from "./LabelChooser";

const catalogues = { en, my } as const;

describe.each(["en", "my"] as const)("LabelChooser (%s)", (language) => {
  const c = catalogues[language];
  const L = c.label;
  const names = [L.public.name, L.restricted.name, L.confidential.name, L.highly_confidential.name];
  const next = () => screen.getByRole("button", { name: c.common.next });
  const reasonBox = () => screen.queryByRole("textbox", { name: c.label_chooser.reason_label });

  it("shows the four labels in order with the suggestion pre-selected", () => {
    const { missing } = renderIn(language, <LabelChooser suggested="confidential" onNext={() => {}} />);
    const radios = screen.getAllByRole("radio");
    expect(radios.map((radio) => radio.getAttribute("value"))).toEqual([
      "public",
      "restricted",
      "confidential",
      "highly-confidential",
    ]);
    names.forEach((name, index) => {
      expect(radios[index]).toHaveAccessibleName(expect.stringContaining(name));
    });
    expect(screen.getByRole("radio", { checked: true })).toHaveAttribute("value", "confidential");
    expect(screen.getByRole("group", { name: c.label_chooser.legend })).toBeInTheDocument();
    expect(reasonBox()).toBeNull();
    expect(next()).toBeEnabled();
    expect(missing).toEqual([]);
  });

  it("reports the suggestion unchanged with no reason", async () => {
    const user = userEvent.setup();
    const onNext = vi.fn();
    renderIn(language, <LabelChooser suggested="confidential" onNext={onNext} />);
    await user.click(next());
    expect(onNext).toHaveBeenCalledWith({ label: "confidential", overrideReason: null });
  });

  it("lets a higher label go without a reason", async () => {
    const user = userEvent.setup();
    const onNext = vi.fn();
    renderIn(language, <LabelChooser suggested="confidential" onNext={onNext} />);
    await user.click(screen.getByRole("radio", { name: new RegExp(`^${L.highly_confidential.name}`) }));
    expect(reasonBox()).toBeNull();
    expect(screen.getByText(c.label_chooser.higher_note)).toBeInTheDocument();
    expect(next()).toBeEnabled();
    await user.click(next());
    expect(onNext).toHaveBeenCalledWith({ label: "highly-confidential", overrideReason: null });
  });

  it("asks why for a lower label and keeps Next disabled until a real reason is typed", async () => {
    const user = userEvent.setup();
    const onNext = vi.fn();
    renderIn(language, <LabelChooser suggested="highly-confidential" onNext={onNext} />);
    await user.click(screen.getByRole("radio", { name: new RegExp(`^${L.restricted.name}`) }));

    const box = reasonBox();
    expect(box).not.toBeNull();
    expect(box).toBeRequired();
    expect(next()).toBeDisabled();

    // Blank and too short do not count.
    await user.type(box!, "   ");
    expect(next()).toBeDisabled();
    await user.clear(box!);
    await user.type(box!, "ok");
    expect(next()).toBeDisabled();
    await user.click(next());
    expect(onNext).not.toHaveBeenCalled();

    const reason = language === "my" ? "အမည်များကို ဖယ်ရှားပြီးပါပြီ" : "names were removed";
    await user.clear(box!);
    await user.type(box!, `  ${reason}  `);
    expect(next()).toBeEnabled();
    await user.click(next());
    expect(onNext).toHaveBeenCalledWith({ label: "restricted", overrideReason: reason });
  });

  it("hides the reason again when the sender goes back up", async () => {
    const user = userEvent.setup();
    const onNext = vi.fn();
    renderIn(language, <LabelChooser suggested="confidential" onNext={onNext} />);
    await user.click(screen.getByRole("radio", { name: new RegExp(`^${L.public.name}`) }));
    expect(reasonBox()).not.toBeNull();
    expect(next()).toBeDisabled();
    await user.click(screen.getByRole("radio", { name: new RegExp(`^${L.confidential.name}`) }));
    expect(reasonBox()).toBeNull();
    expect(next()).toBeEnabled();
  });

  it("says what is wrong with the reason once the sender has typed", async () => {
    const user = userEvent.setup();
    renderIn(language, <LabelChooser suggested="confidential" onNext={() => {}} />);
    await user.click(screen.getByRole("radio", { name: new RegExp(`^${L.public.name}`) }));
    // The warning names the suggested label in the reader's language.
    expect(
      screen.getByText(c.label_chooser.lower_warning.replace("{{suggested}}", L.confidential.name)),
    ).toBeInTheDocument();
    await user.type(reasonBox()!, "ab");
    const box = reasonBox()!;
    expect(box).toHaveAttribute("aria-invalid", "true");
    expect(box).toHaveAccessibleDescription(expect.stringContaining(c.label_chooser.problem.too_short.slice(0, 8)));
  });
});
