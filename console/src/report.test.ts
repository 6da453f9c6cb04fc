import { describe, expect, it } from "vitest";

import { decisionFigure, decisionName, lineChanges, lineFigure, replayProgress } from "./report";

describe("the report's decisions", () => {
  it("names every kind of decision in words, the transfers too", () => {
    expect(decisionName("manufacturing")).toBe("Manufacturing order");
    expect(decisionName("markdown")).toBe("Markdown");
    expect(decisionName("transfers")).toBe("Transfers");
    expect(decisionName("price_change")).toBe("Price change");
  });

  it("shows a markdown decided by category as each category's depth, not the one depth", () => {
    // The replay's markdown: 0 % as one depth for every category, 10 % on knitwear by category.
    expect(decisionFigure(0, "percent", { OUTW: 0, KNIT: 10 }, "en-US")).toBe("KNIT 10%, OUTW 0%");
    expect(decisionFigure(7.5, "percent", { DRES: 15, OUTW: 7.5 }, "fr-FR")).toMatch(/^DRES 15\s%, OUTW 7,5\s%$/);
  });

  it("shows one depth, or an order's total, as its amount", () => {
    expect(decisionFigure(15, "percent", {}, "en-US")).toBe("15%");
    expect(decisionFigure(15, "percent", undefined, "en-US")).toBe("15%");
    expect(decisionFigure(82000, "units", { OUTW: 13818 }, "en-US")).toBe("82,000 units");
  });

  it("lists the lines moved off the proposal with their change, in the line's unit", () => {
    expect(lineChanges({ OUTW: 7663, KNIT: 9000 }, { OUTW: 13818, KNIT: 9000 }, "units", "en-US")).toEqual(["OUTW 13,818 (+6,155)"]);
    expect(lineChanges({ DRES: 15, OUTW: 0 }, { DRES: 10, OUTW: 7.5 }, "percent", "en-US")).toEqual([
      "DRES 10% (-5 points)",
      "OUTW 7.5% (+7.5 points)",
    ]);
    expect(lineChanges({ DRES: 15 }, { DRES: 15 }, "percent", "en-US")).toEqual([]);
    expect(lineChanges({ DRES: 15 }, undefined, "percent", "en-US")).toEqual([]);
  });

  it("writes one category's figure in its unit", () => {
    expect(lineFigure("OUTW", 13818, "units", "en-US")).toBe("OUTW 13,818");
    expect(lineFigure("KNIT", 12.5, "percent", "en-US")).toBe("KNIT 12.5%");
  });
});

describe("a replay's progress", () => {
  it("says where the replay is in words, not its status field", () => {
    const finished = { status: "finished", weeks_done: 3, weeks_target: 3, decisions: "automatic", message: "the season completed" };
    expect(replayProgress(finished, "en-US")).toBe("Finished: week 3 of 3 fed from the history, decided automatically · the season completed");
    expect(replayProgress({ ...finished, status: "waiting", weeks_done: 1, decisions: "approver", message: null }, "en-US")).toBe(
      "Waiting: week 1 of 3 fed from the history, decided by the approver",
    );
    expect(replayProgress({ ...finished, status: "failed" }, "en-US")).toMatch(/^Stopped: /);
  });
});
