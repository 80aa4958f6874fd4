import { ConsultationStatus } from "@yilian/contract";
import { canTransition, invalidState, TRANSITIONS } from "./state-machine";

it("follows DRAFT → SUBMITTED → ACCEPTED → SCHEDULED → IN_PROGRESS → REPORTED → CLOSED", () => {
  const path = ["DRAFT", "SUBMITTED", "ACCEPTED", "SCHEDULED", "IN_PROGRESS", "REPORTED", "CLOSED"] as const;
  for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
});

it("allows the side paths and nothing out of a terminal state", () => {
  expect(canTransition("SUBMITTED", "RETURNED")).toBe(true);
  expect(canTransition("RETURNED", "SUBMITTED")).toBe(true);
  expect(canTransition("SUBMITTED", "REJECTED")).toBe(true);
  expect(canTransition("DRAFT", "ACCEPTED")).toBe(false);
  expect(canTransition("REPORTED", "IN_PROGRESS")).toBe(false);
  for (const s of ["CLOSED", "REJECTED", "CANCELLED", "EXPIRED"] as const) expect(TRANSITIONS[s]).toHaveLength(0);
  expect(Object.keys(TRANSITIONS).sort()).toEqual([...ConsultationStatus.options].sort());
});

it("reports the current state in a 409", () => {
  const e = invalidState("REPORTED", "受理");
  expect(e.status).toBe(409);
  expect(e.details).toEqual({ currentStatus: "REPORTED" });
});
