import { act, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "./api";
import { App } from "./App";
import type { Received } from "./bindings/Received";
import type { SyncReport } from "./bindings/SyncReport";
import type { SyncStatus } from "./bindings/SyncStatus";
import { createI18n, type Language } from "./i18n";
import { isNewPassEnd, NO_NOTICE, noticeCounts, noticeText, useSyncNotifications, type NoticeCounts } from "./notifications";
import { fakeApi } from "./test/fakeApi";
import { idleStatus, unlockedSession } from "./test/fixtures";
import { renderIn } from "./test/render";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

/** A received entry that names a sender and a label: neither may reach a notification. */
function received(kind: string, n = 1): Received {
  return {
    parcel_id: `beneficiaries-${kind}-${n}`,
    kind,
    sender: { member_id: "m-7", name: "Daw Aye Aye", org: "Shwe Relief" },
    summary: kind === "receipt" ? "opened" : "highly-confidential",
  };
}

function report(...kinds: string[]): SyncReport {
  return {
    relay: "https://relay.example.org",
    reached_relay: true,
    roster_version: 3,
    sent: [],
    waiting: [],
    received: kinds.map((kind, n) => received(kind, n)),
    rejected: [],
    erased: [],
    expired: [],
    problems: [],
  };
}

/** The status the shell sends when a pass ends at `at` (minute past 10:00) with `kinds` received. */
function passEnd(at: number, ...kinds: string[]): SyncStatus {
  return { ...idleStatus, last_pass_at: `2025-03-05T10:${String(at).padStart(2, "0")}:00Z`, report: report(...kinds) };
}

/** The notice in `language`, from a strict i18next (no English fallback, missing keys fail). */
function text(language: Language, counts: NoticeCounts): string | null {
  const missing: string[] = [];
  const i18n = createI18n(language, { fallbackToEnglish: false, onMissingKey: (lng, key) => missing.push(`${lng}:${key}`) });
  const result = noticeText(counts, i18n.getFixedT(language), language);
  expect(missing).toEqual([]);
  return result;
}

describe("noticeCounts", () => {
  it("counts parcels, receipts and deletion requests by kind, and nothing else", () => {
    expect(
      noticeCounts(report("data", "correction", "product", "receipt", "receipt", "deletion-request", "roster", "key")),
    ).toEqual({ ...NO_NOTICE, parcels: 3, receipts: 2, requests: 1 });
    expect(noticeCounts(report())).toEqual(NO_NOTICE);
  });

  it("counts rights requests, concerns and the answers to them", () => {
    expect(
      noticeCounts(report("access-request", "access-request", "concern", "request-update", "concern-update", "data")),
    ).toEqual({ ...NO_NOTICE, parcels: 1, access: 2, concerns: 1, answers: 2 });
  });
});

describe("noticeText", () => {
  it("is null when nothing came", () => {
    expect(text("en", { ...NO_NOTICE, parcels: 0, receipts: 0, requests: 0 })).toBeNull();
    expect(text("my", { ...NO_NOTICE, parcels: 0, receipts: 0, requests: 0 })).toBeNull();
  });

  it("says one of each in English", () => {
    expect(text("en", { ...NO_NOTICE, parcels: 1, receipts: 0, requests: 0 })).toBe("1 new parcel");
    expect(text("en", { ...NO_NOTICE, parcels: 0, receipts: 1, requests: 0 })).toBe("1 receipt for a parcel you sent");
    expect(text("en", { ...NO_NOTICE, parcels: 0, receipts: 0, requests: 1 })).toBe("1 deletion request");
    expect(text("en", { ...NO_NOTICE, parcels: 1, receipts: 1, requests: 1 })).toBe(
      "1 new parcel, 1 receipt for a parcel you sent, and 1 deletion request",
    );
  });

  it("says the rights requests, concerns and answers in both languages", () => {
    expect(text("en", { ...NO_NOTICE, access: 1 })).toBe("1 access request to answer");
    expect(text("en", { ...NO_NOTICE, concerns: 2, answers: 1 })).toBe(
      "2 concerns reported to you and 1 answer to a request or concern",
    );
    expect(text("my", { ...NO_NOTICE, access: 3 })).toBe("ဖြေကြားရန် ကြည့်ရှုခွင့် တောင်းဆိုချက် ၃ ခု");
  });

  it("says many of each in English, with grouped digits", () => {
    expect(text("en", { ...NO_NOTICE, parcels: 2, receipts: 0, requests: 0 })).toBe("2 new parcels");
    expect(text("en", { ...NO_NOTICE, parcels: 0, receipts: 3, requests: 0 })).toBe("3 receipts for parcels you sent");
    expect(text("en", { ...NO_NOTICE, parcels: 0, receipts: 0, requests: 1200 })).toBe("1,200 deletion requests");
    expect(text("en", { ...NO_NOTICE, parcels: 2, receipts: 0, requests: 1 })).toBe("2 new parcels and 1 deletion request");
    expect(text("en", { ...NO_NOTICE, parcels: 12, receipts: 3, requests: 2 })).toBe(
      "12 new parcels, 3 receipts for parcels you sent, and 2 deletion requests",
    );
  });

  it("says it in Burmese with Myanmar digits", () => {
    expect(text("my", { ...NO_NOTICE, parcels: 1, receipts: 0, requests: 0 })).toBe("ပါဆယ်အသစ် ၁ ခု");
    expect(text("my", { ...NO_NOTICE, parcels: 12, receipts: 0, requests: 0 })).toBe("ပါဆယ်အသစ် ၁၂ ခု");
    expect(text("my", { ...NO_NOTICE, parcels: 0, receipts: 1, requests: 0 })).toBe("သင်ပို့ခဲ့သော ပါဆယ်များအတွက် ပြေစာ ၁ ခု");
    expect(text("my", { ...NO_NOTICE, parcels: 0, receipts: 3, requests: 0 })).toBe("သင်ပို့ခဲ့သော ပါဆယ်များအတွက် ပြေစာ ၃ ခု");
    expect(text("my", { ...NO_NOTICE, parcels: 0, receipts: 0, requests: 1 })).toBe("ဖျက်ရန် တောင်းဆိုချက် ၁ ခု");
    expect(text("my", { ...NO_NOTICE, parcels: 0, receipts: 0, requests: 2 })).toBe("ဖျက်ရန် တောင်းဆိုချက် ၂ ခု");
    expect(text("my", { ...NO_NOTICE, parcels: 2, receipts: 0, requests: 1 })).toBe("ပါဆယ်အသစ် ၂ ခုနှင့် ဖျက်ရန် တောင်းဆိုချက် ၁ ခု");
    const all = text("my", { ...NO_NOTICE, parcels: 2, receipts: 3, requests: 1 });
    expect(all).toContain("ပါဆယ်အသစ် ၂ ခု");
    expect(all).toContain("သင်ပို့ခဲ့သော ပါဆယ်များအတွက် ပြေစာ ၃ ခု");
    expect(all).toContain("ဖျက်ရန် တောင်းဆိုချက် ၁ ခု");
    expect(all).not.toMatch(/[0-9]/);
  });

  it("never names a sender, an organisation, a file or a label", () => {
    const counts = noticeCounts(report("data", "correction", "receipt", "deletion-request"));
    for (const language of ["en", "my"] as const) {
      const notice = text(language, counts);
      expect(notice).not.toBeNull();
      for (const secret of ["Aye", "Shwe", "confidential", "beneficiaries", "opened", "m-7"]) {
        expect(notice).not.toContain(secret);
      }
    }
    expect(text("en", counts)).toBe("2 new parcels, 1 receipt for a parcel you sent, and 1 deletion request");
  });
});

describe("isNewPassEnd", () => {
  it("takes a successful idle pass with a new time only", () => {
    const end = passEnd(1, "data");
    expect(isNewPassEnd(end, null)).toBe(true);
    expect(isNewPassEnd(end, end.last_pass_at)).toBe(false);
    expect(isNewPassEnd({ ...end, running: true }, null)).toBe(false);
    expect(isNewPassEnd({ ...end, report: null }, null)).toBe(false);
    expect(isNewPassEnd({ ...end, last_pass_at: null }, null)).toBe(false);
    // A failed pass keeps the previous pass's report.
    expect(isNewPassEnd({ ...end, error: { code: "relay-unreachable", message: "down" } }, null)).toBe(false);
  });
});

function Notifier({ api, enabled }: { api: Parameters<typeof useSyncNotifications>[0]; enabled: boolean }) {
  useSyncNotifications(api, enabled);
  return <p>listening</p>;
}

describe("useSyncNotifications", () => {
  it("notifies once per new pass, in the reader's language", () => {
    const api = fakeApi();
    const { i18n } = renderIn("en", <Notifier api={api} enabled />);
    expect(api.onSyncStatus).toHaveBeenCalledTimes(1);

    act(() => api.emitSync(passEnd(1, "data", "data", "receipt")));
    expect(api.notify).toHaveBeenCalledTimes(1);
    expect(api.notify).toHaveBeenLastCalledWith("2 new parcels and 1 receipt for a parcel you sent");

    // The same status again (the shell repeats it), then the next pass running with the last
    // report: nothing more.
    act(() => api.emitSync(passEnd(1, "data", "data", "receipt")));
    act(() => api.emitSync({ ...passEnd(1, "data", "data", "receipt"), running: true }));
    act(() =>
      api.emitSync({ ...passEnd(1, "data", "data", "receipt"), running: true, transfer: { phase: "downloading", done: 1, total: 2 } }),
    );
    expect(api.notify).toHaveBeenCalledTimes(1);

    act(() => api.emitSync(passEnd(2, "deletion-request")));
    expect(api.notify).toHaveBeenCalledTimes(2);
    expect(api.notify).toHaveBeenLastCalledWith("1 deletion request");

    // The language chosen now, not the one at the start.
    act(() => void i18n.changeLanguage("my"));
    act(() => api.emitSync(passEnd(3, "product")));
    expect(api.notify).toHaveBeenCalledTimes(3);
    expect(api.notify).toHaveBeenLastCalledWith("ပါဆယ်အသစ် ၁ ခု");
  });

  it("says nothing for a running status, an empty pass or a failed one", () => {
    const api = fakeApi();
    renderIn("en", <Notifier api={api} enabled />);
    // A pass in progress carrying a report with a time never seen (its end was missed).
    act(() => api.emitSync({ ...passEnd(1, "data"), running: true }));
    act(() => api.emitSync(passEnd(2)));
    act(() => api.emitSync(passEnd(3, "roster")));
    // A failed pass: a new time, the previous pass's report.
    act(() => api.emitSync({ ...passEnd(4, "data"), online: false, error: { code: "relay-unreachable", message: "down" } }));
    act(() => api.emitSync({ ...passEnd(5, "data"), report: null }));
    expect(api.notify).not.toHaveBeenCalled();
  });

  it("says nothing while disabled, and stops listening when disabled", () => {
    const api = fakeApi();
    const { rerender } = renderIn("en", <Notifier api={api} enabled={false} />);
    act(() => api.emitSync(passEnd(1, "data")));
    expect(api.onSyncStatus).not.toHaveBeenCalled();
    expect(api.notify).not.toHaveBeenCalled();

    rerender(<Notifier api={api} enabled />);
    act(() => api.emitSync(passEnd(2, "data")));
    expect(api.notify).toHaveBeenCalledTimes(1);

    rerender(<Notifier api={api} enabled={false} />);
    act(() => api.emitSync(passEnd(3, "data")));
    expect(api.notify).toHaveBeenCalledTimes(1);
  });

  it("ignores a notify that fails, and notifies the next pass", async () => {
    // A plain function, not vi.fn: a spy handles the promises it returns, which would hide an
    // unhandled rejection.
    const bodies: string[] = [];
    const notify = (body: string): Promise<void> => {
      bodies.push(body);
      return Promise.reject(new ApiError("unexpected", "no notification service"));
    };
    const api = fakeApi({ notify });
    renderIn("en", <Notifier api={api} enabled />);
    act(() => api.emitSync(passEnd(1, "data")));
    // Let the rejection settle: an unhandled one would fail the run.
    await act(async () => {
      await Promise.resolve();
    });
    act(() => api.emitSync(passEnd(2, "receipt", "receipt")));
    await act(async () => {
      await Promise.resolve();
    });
    expect(bodies).toEqual(["1 new parcel", "2 receipts for parcels you sent"]);
    expect(screen.getByText("listening")).toBeInTheDocument();
  });
});

describe("the app", () => {
  it("notifies a member of what a pass brought, counts only", async () => {
    const api = fakeApi();
    renderIn("my", <App api={api} />);
    await screen.findByRole("navigation");
    // The subscription starts in an effect after the screens render: under load the first
    // event can come before it. The same pass is sent until it is heard; it is announced once.
    await waitFor(() => {
      act(() => api.emitSync(passEnd(1, "data", "deletion-request")));
      expect(api.notify).toHaveBeenCalled();
    });
    expect(api.notify).toHaveBeenCalledTimes(1);
    expect(api.notify).toHaveBeenLastCalledWith("ပါဆယ်အသစ် ၁ ခုနှင့် ဖျက်ရန် တောင်းဆိုချက် ၁ ခု");
  });

  it("does not notify before unlocking, nor before joining a cluster", async () => {
    for (const session of [
      { ...unlockedSession, unlocked: false },
      { ...unlockedSession, cluster: { ...unlockedSession.cluster!, member: false } },
    ]) {
      const api = fakeApi({ session: vi.fn(async () => session) });
      const { unmount } = renderIn("en", <App api={api} />);
      // The unlock screen, or onboarding saying the join waits for the coordinator.
      expect(await screen.findByRole("heading", { level: 1 })).toBeInTheDocument();
      act(() => api.emitSync(passEnd(1, "data")));
      expect(api.notify).not.toHaveBeenCalled();
      unmount();
    }
  });
});

describe("api.notify", () => {
  it("calls the shell's notify command with the body", async () => {
    const { notify } = await import("./api");
    invoke.mockResolvedValueOnce(null);
    await expect(notify("1 new parcel")).resolves.toBeUndefined();
    expect(invoke).toHaveBeenLastCalledWith("notify", { body: "1 new parcel" });
  });
});
