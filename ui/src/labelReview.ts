// The scan-then-label step shared by the panels that seal files chosen outside the Send screen
// (a correction, an information product): the files are scanned on this computer for their
// suggested label, then the label is asked for with LabelChooser.

import { useState } from "react";
import { toApiError, type Api, type ApiError } from "./api";
import type { Review } from "./bindings/Review";
import type { LabelChoice } from "./labels";

/**
 * The review of the files to seal and the label chosen for them. `scan` reads the files (again,
 * after the shell refused the label because they changed) and opens the label step; a failure
 * goes to `onError`, the panel's own error notice.
 */
export function useLabelReview(api: Pick<Api, "scanFiles">, onError: (error: ApiError) => void) {
  const [scanning, setScanning] = useState(false);
  const [review, setReview] = useState<Review | null>(null);
  const [choice, setChoice] = useState<LabelChoice | null>(null);
  const [choosing, setChoosing] = useState(false);

  async function scan(paths: string[]) {
    setScanning(true);
    try {
      setReview(await api.scanFiles(paths));
      setChoosing(true);
    } catch (caught) {
      onError(toApiError(caught));
    } finally {
      setScanning(false);
    }
  }

  return { scanning, review, setReview, choice, setChoice, choosing, setChoosing, scan };
}
