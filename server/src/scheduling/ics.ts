// iCalendar invite of a booking (ical-generator). No patient data: calendars sync to phones and mail servers.
import ical, { ICalCalendarMethod } from "ical-generator";

export function bookingInvite(b: {
  bookingId: string;
  number: string;
  startsAt: Date;
  endsAt: Date;
  sequence: number;
  institutionName: string;
  url: string;
  attendees: { id: string; name: string }[];
  cancelled?: boolean;
}): string {
  const cal = ical({ name: "医联远程会诊", prodId: { company: "Yilian", product: "consultations", language: "ZH" }, timezone: "Asia/Shanghai" });
  cal.method(b.cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST);
  cal.createEvent({
    id: `${b.bookingId}@yilian`,
    sequence: b.sequence,
    start: b.startsAt,
    end: b.endsAt,
    timezone: "Asia/Shanghai",
    summary: `远程会诊 ${b.number}`,
    description: `会诊编号：${b.number}\n受邀机构：${b.institutionName}\n请在开始前 15 分钟进入会诊室：${b.url}`,
    location: "医联远程会诊室",
    url: b.url,
    // Accounts carry no e-mail address; calendars need one, so each attendee gets a stable non-routable one.
    attendees: b.attendees.map((a) => ({ name: a.name, email: `${a.id}@users.yilian.invalid` })),
    alarms: [{ type: "display" as never, trigger: 15 * 60 }],
  });
  return cal.toString();
}
