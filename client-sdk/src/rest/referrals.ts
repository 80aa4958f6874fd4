// Two-way referral (双向转诊): request, the receiving coordinator's answer, arrival, cancellation, visit booking.
import type { z } from "zod";
import type { ReferralBookingView, ReferralInput, ReferralPage, ReferralView } from "@yilian/contract";
import type { RestCore } from "./core";

export const referralsApi = ({ get, post, id }: RestCore) => ({
  referrals: (q: { limit?: number; offset?: number } = {}) => get<z.output<typeof ReferralPage>>("/api/referrals", q),
  referral: (referralId: string) => get<ReferralView>(`/api/referrals/${id(referralId)}`),
  createReferral: (body: z.input<typeof ReferralInput>) => post<ReferralView>("/api/referrals", body),
  /** Receiving coordinator: REQUESTED → ACCEPTED. */
  acceptReferral: (referralId: string) => post<ReferralView>(`/api/referrals/${id(referralId)}/accept`, {}),
  /** Receiving coordinator: REQUESTED → DECLINED with a reason. */
  declineReferral: (referralId: string, reason: string) =>
    post<ReferralView>(`/api/referrals/${id(referralId)}/decline`, { reason }),
  /** The patient arrived: ACCEPTED → ARRIVED. */
  markReferralArrived: (referralId: string) => post<ReferralView>(`/api/referrals/${id(referralId)}/arrive`, {}),
  /** The requester withdraws it. */
  cancelReferral: (referralId: string, reason: string) =>
    post<ReferralView>(`/api/referrals/${id(referralId)}/cancel`, { reason }),
  /** Books the referred patient's visit; slots reserved for referrals (预留号源) may be used. */
  bookReferral: (referralId: string, body: { specialistId: string; startsAt: string; minutes?: number }) =>
    post<ReferralBookingView>(`/api/referrals/${id(referralId)}/booking`, body),
});
