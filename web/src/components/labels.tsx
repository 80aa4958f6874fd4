// Small display helpers: status / urgency tags with consistent colours.
import { Tag } from "antd";
import {
  consultationStatusLabel,
  urgencyLabel,
  tierLabel,
  type ConsultationStatus,
  type Tier,
  type Urgency,
} from "@yilian/contract";

const statusColor: Record<ConsultationStatus, string> = {
  DRAFT: "default",
  SUBMITTED: "processing",
  RETURNED: "warning",
  ACCEPTED: "cyan",
  SCHEDULED: "blue",
  IN_PROGRESS: "purple",
  REPORTED: "green",
  CLOSED: "default",
  REJECTED: "error",
  CANCELLED: "default",
  EXPIRED: "error",
};
const urgencyColor: Record<Urgency, string> = { ROUTINE: "default", URGENT: "orange", EMERGENCY: "red" };
const tierColor: Record<Tier, string> = { PROVINCE: "magenta", CITY: "geekblue", COUNTY: "cyan", TOWNSHIP: "green" };

export const StatusTag = ({ status }: { status: ConsultationStatus }) => (
  <Tag color={statusColor[status]} data-status={status}>
    {consultationStatusLabel[status] ?? status}
  </Tag>
);
export const UrgencyTag = ({ urgency }: { urgency: Urgency }) => (
  <Tag color={urgencyColor[urgency]}>{urgencyLabel[urgency] ?? urgency}</Tag>
);
export const TierTag = ({ tier }: { tier: Tier }) => <Tag color={tierColor[tier]}>{tierLabel[tier] ?? tier}</Tag>;
