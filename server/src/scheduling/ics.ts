// iCalendar invite of a booking (RFC 5545, ical-generator). No patient data: calendars sync to phones and mail
// servers. DTSTART/DTEND are Asia/Shanghai wall-clock with TZID and the zone's VTIMEZONE (what Chinese calendar
// clients show), converted from the stored UTC instants by luxon: given a JS Date, ical-generator prints its clock in
// the process's own zone (UTC on servers) and labels it Shanghai, 8 hours early. DTSTAMP stays UTC ("Z").
import ical, { ICalAlarmType, ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import { getVtimezoneComponent } from "@touch4it/ical-timezones";
import { DateTime } from "luxon";

export const INVITE_TIMEZONE = "Asia/Shanghai";

export interface BookingInviteInput {
  bookingId: string;
  number: string;
  startsAt: Date;
  endsAt: Date;
  /** Bumped on every change of the booking (reschedule, cancellation) so calendars replace the event. */
  sequence: number;
  institutionName: string;
  url: string;
  attendees: { id: string; name: string }[];
  cancelled?: boolean;
}

export function bookingInvite(b: BookingInviteInput): string {
  const cal = ical({
    name: "医联远程会诊",
    prodId: { company: "Yilian", product: "consultations", language: "ZH" },
    method: b.cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  cal.createEvent({
    id: `${b.bookingId}@yilian`,
    sequence: b.sequence,
    start: DateTime.fromJSDate(b.startsAt, { zone: INVITE_TIMEZONE }),
    end: DateTime.fromJSDate(b.endsAt, { zone: INVITE_TIMEZONE }),
    timezone: INVITE_TIMEZONE,
    stamp: DateTime.utc(),
    status: b.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    summary: `远程会诊 ${b.number}`,
    description: `会诊编号：${b.number}\n受邀机构：${b.institutionName}\n请在开始前 15 分钟进入会诊室：${b.url}`,
    location: "医联远程会诊室",
    url: b.url,
    // Accounts carry no e-mail address; calendars need one, so each attendee gets a stable non-routable one.
    attendees: b.attendees.map((a) => ({ name: a.name, email: `${a.id}@users.yilian.invalid` })),
    alarms: [{ type: ICalAlarmType.display, trigger: 15 * 60, description: `远程会诊 ${b.number} 将在 15 分钟后开始` }],
  });
  // The zone's definition goes before the event. Not through the calendar's own `timezone` option: with it,
  // ical-generator also writes DTSTAMP as local time without "Z", which RFC 5545 forbids.
  const vtimezone = getVtimezoneComponent(INVITE_TIMEZONE)!.trim().replace(/\r?\n/g, "\r\n");
  const text = cal.toString().replace("BEGIN:VEVENT", `${vtimezone}\r\nBEGIN:VEVENT`);
  // Every content line ends with CRLF, the last one included (RFC 5545 §3.1); ical-generator omits the final one.
  return `${text}\r\n`;
}
