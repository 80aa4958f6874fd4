// Scheduling: specialists' opening hours (rules, one-off windows, weekend expert days), free slots, booking a
// consultation's time (book, reschedule, cancel) and its iCalendar invite, and the network's response limits.
import type { z } from "zod";
import type {
  AvailabilityRuleInput,
  AvailabilityRuleView,
  AvailabilityView,
  AvailabilityWindowInput,
  AvailabilityWindowView,
  ConsultationDetail,
  SchedulingPolicyView,
  SlaPoliciesView,
  SlaPolicyInput,
  SlaPolicyView,
  Slot,
  WeekendExpertDaysInput,
  WeekendExpertDaysView,
} from "@yilian/contract";
import type { RestCore } from "./core";

export const schedulingApi = ({ get, post, put, del, download, id }: RestCore) => ({
  /** Next free slots of a specialty (at an institution, of a specialist), soonest first. */
  slots: (q: {
    specialtyCode: string;
    institutionId?: string;
    specialistId?: string;
    from?: string;
    days?: number;
    limit?: number;
    includeReserved?: boolean;
  }) => get<{ items: Slot[] }>("/api/slots", q),
  availability: (specialistId: string) => get<AvailabilityView>(`/api/specialists/${id(specialistId)}/availability`),
  addAvailabilityRule: (specialistId: string, body: z.input<typeof AvailabilityRuleInput>) =>
    post<AvailabilityRuleView>(`/api/specialists/${id(specialistId)}/availability/rules`, body),
  addAvailabilityWindow: (specialistId: string, body: z.input<typeof AvailabilityWindowInput>) =>
    post<AvailabilityWindowView>(`/api/specialists/${id(specialistId)}/availability/windows`, body),
  removeAvailability: (specialistId: string, kind: "rules" | "windows", itemId: string) =>
    del<void>(`/api/specialists/${id(specialistId)}/availability/${kind}/${id(itemId)}`),
  /** 周末专家下沉: Saturday and Sunday windows for several experts of one institution, all or nothing. */
  publishWeekendExpertDays: (institutionId: string, body: z.input<typeof WeekendExpertDaysInput>) =>
    post<z.output<typeof WeekendExpertDaysView>>(`/api/institutions/${id(institutionId)}/weekend-expert-days`, body),
  /** ACCEPTED → SCHEDULED at an offered slot (all assigned specialists free; 409 CONFLICT otherwise). */
  book: (consultationId: string, startsAt: string, minutes?: number) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/booking`, {
      startsAt,
      ...(minutes ? { minutes } : {}),
    }),
  rescheduleBooking: (consultationId: string, startsAt: string, reason: string, minutes?: number) =>
    put<ConsultationDetail>(`/api/consultations/${id(consultationId)}/booking`, {
      startsAt,
      reason,
      ...(minutes ? { minutes } : {}),
    }),
  /** Releases the booked time: SCHEDULED → ACCEPTED, ready for a new time. */
  cancelBooking: (consultationId: string, reason: string) =>
    del<ConsultationDetail>(`/api/consultations/${id(consultationId)}/booking`, { reason }),
  /** The booked time as an iCalendar invite (Asia/Shanghai with VTIMEZONE; no patient data). */
  async bookingInvite(consultationId: string): Promise<string> {
    const file = await download(`/api/consultations/${id(consultationId)}/booking.ics`);
    return file.blob.text();
  },
  slaPolicies: () => get<z.output<typeof SlaPoliciesView>>("/api/sla-policies"),
  putSlaPolicy: (body: z.input<typeof SlaPolicyInput>) =>
    put<z.output<typeof SlaPolicyView>>("/api/sla-policies", body),
  putSchedulingPolicy: (institutionId: string, reservedReferralShare: number) =>
    put<z.output<typeof SchedulingPolicyView>>(`/api/institutions/${id(institutionId)}/scheduling-policy`, {
      reservedReferralShare,
    }),
});
