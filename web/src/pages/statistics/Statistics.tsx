// Statistics dashboard for administrators, scoped to their region: monthly trends, breakdowns by tier, city,
// county, institution, consortium (click a row to drill down into it), by specialty and urgency, SLA breaches,
// training attendance, and CSV / XLSX export.
import { useMemo, useState } from "react";
import { App, Breadcrumb, Button, Card, Col, DatePicker, Row, Segmented, Select, Space, Statistic, Table, Typography } from "antd";
import { DownloadOutlined, ReloadOutlined } from "@ant-design/icons";
import type { StatRow } from "@yilian/client-sdk";
import { consultationKindLabel, consultationStatusLabel, tierLabel, urgencyLabel } from "@yilian/contract";
import { api, saveFile } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useSession } from "../../lib/session";
import { useSpecialties } from "../../lib/refdata";
import { dayjs, fmt, TZ } from "../../lib/dayjs";
import { explain } from "../../lib/errors";
import { ErrorAlert } from "../../components/ErrorAlert";
import { EChart } from "./Charts";
import { t } from "../../i18n";

type Scope = "PROVINCE" | "CITY" | "COUNTY" | "INSTITUTION" | "TIER" | "CONSORTIUM";
const METRICS: Record<string, string> = {
  consultations: "远程会诊申请数",
  consultations_received: "受邀会诊数",
  sla_breaches: "超时未受理数",
  referrals: "双向转诊数",
  training_sessions: "远程培训场次",
  training_attendances: "参训人次",
  acceptance_minutes_p50: "受理时长中位数（分钟）",
  report_minutes_p50: "出报告时长中位数（分钟）",
  uploads: "新增资料数",
};
const KPI = ["consultations", "sla_breaches", "referrals", "training_attendances"] as const;
const TREND = ["consultations", "sla_breaches", "referrals", "training_attendances"];
const LEVEL_LABEL: Record<Scope, string> = { PROVINCE: "全省", TIER: "按机构级别", CITY: "按市", COUNTY: "按县(区)", INSTITUTION: "按机构", CONSORTIUM: "按医联体" };
const DIM_LABEL: Record<string, string> = { specialty: "按专科", urgency: "按紧急程度", status: "按状态", kind: "按会诊类型" };
const KEY_LABEL: Record<string, string> = { ...urgencyLabel, ...tierLabel, ...consultationStatusLabel, ...consultationKindLabel };
/** What a drill-down into a row of one level shows next. */
const CHILD_LEVEL: Partial<Record<Scope, Scope>> = { PROVINCE: "CITY", CITY: "COUNTY", COUNTY: "INSTITUTION" };

interface Focus {
  scope: Scope;
  scopeId: string;
  name: string;
}

export default function Statistics() {
  const { user, hasRole } = useSession();
  const { message } = App.useApp();
  const specialties = useSpecialties();
  const keyLabel = (dimension: string, key: string) => (dimension === "specialty" ? specialties.name(key) : (KEY_LABEL[key] ?? key));
  const nowMonth = dayjs().tz(TZ).format("YYYY-MM");
  const [range, setRange] = useState<[string, string]>([dayjs().tz(TZ).subtract(11, "month").format("YYYY-MM"), nowMonth]);
  const [path, setPath] = useState<Focus[]>([]);
  const focus = path[path.length - 1];
  const ownLevel: Scope = hasRole("PROVINCE_ADMIN") ? "PROVINCE" : user?.region ? (user.region.kind as Scope) : "INSTITUTION";
  const currentLevel = focus?.scope ?? ownLevel;
  const [level, setLevel] = useState<Scope>(CHILD_LEVEL[ownLevel] ?? "INSTITUTION");
  const [metric, setMetric] = useState("consultations");
  const [month, setMonth] = useState(nowMonth);
  const [exporting, setExporting] = useState<string | null>(null);

  const monthlyQuery = { from: range[0], to: range[1], ...(focus ? { scope: focus.scope, scopeId: focus.scopeId } : {}) };
  const monthly = useAsync(() => api.statisticsMonthly(monthlyQuery), [range[0], range[1], focus?.scope, focus?.scopeId]);
  const breakdown = useAsync(() => api.statisticsBreakdown({ month, scope: level, metric }), [month, level, metric]);

  const rows = (monthly.data?.rows ?? []) as (StatRow & { metric: string; dimension: string; key: string; value: number })[];
  const totals = (monthly.data?.totals ?? {}) as Record<string, number>;
  const months = useMemo(() => {
    const out: string[] = [];
    for (let m = dayjs(range[0] + "-01"); !m.isAfter(dayjs(range[1] + "-01")); m = m.add(1, "month")) out.push(m.format("YYYY-MM"));
    return out;
  }, [range]);
  const trendOption = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 24 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", minInterval: 1 },
      series: TREND.map((m) => ({
        name: METRICS[m],
        type: "line",
        smooth: false,
        data: months.map((mo) => rows.find((r) => r.month === mo && r.metric === m && r.dimension === "")?.value ?? 0),
      })),
    }),
    [rows, months],
  );
  const lastMonth = range[1];
  const dims = rows.filter((r) => r.month === lastMonth && r.metric === "consultations" && r.dimension && r.dimension in DIM_LABEL);
  const [dim, setDim] = useState("specialty");
  const dimRows = dims.filter((r) => r.dimension === dim).sort((a, b) => b.value - a.value).slice(0, 12);
  const dimOption = useMemo(
    () => ({
      tooltip: {},
      grid: { left: 110, right: 16, top: 8, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: dimRows.map((r) => keyLabel(r.dimension, r.key)).reverse() },
      series: [{ type: "bar", data: dimRows.map((r) => r.value).reverse(), itemStyle: { color: "#1677ff" } }],
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [dimRows, specialties.list],
  );

  const doExport = async (kind: "monthly" | "breakdown", format: "csv" | "xlsx") => {
    const key = `${kind}-${format}`;
    setExporting(key);
    const hide = message.loading("正在生成导出文件…", 0);
    try {
      const q = kind === "monthly" ? monthlyQuery : { month, scope: level, metric };
      const f = await api.statisticsExport(kind, q, format);
      saveFile(f.blob, f.filename ?? `统计_${kind}.${format}`);
      message.success("导出完成");
    } catch (e) {
      const x = explain(e);
      message.error(`${x.message}。${x.guidance}`);
    } finally {
      hide();
      setExporting(null);
    }
  };
  const recompute = async () => {
    try {
      await api.request("POST", "/api/statistics/recompute", { body: { month: nowMonth } });
      message.success("已提交重新统计本月，完成后刷新即可看到最新数据");
    } catch (e) {
      const x = explain(e);
      message.error(`${x.message}。${x.guidance}`);
    }
  };

  const drill = (r: StatRow & { scopeId?: string; scopeName?: string }) => {
    if (!r.scopeId || level === "TIER") return;
    setPath((p) => [...p, { scope: level, scopeId: String(r.scopeId), name: String(r.scopeName ?? r.scopeId) }]);
    const next = CHILD_LEVEL[level];
    if (next) setLevel(next);
  };
  const levels: Scope[] = ownLevel === "PROVINCE" ? ["TIER", "CITY", "COUNTY", "INSTITUTION", "CONSORTIUM"] : ownLevel === "CITY" ? ["COUNTY", "INSTITUTION"] : ownLevel === "COUNTY" ? ["INSTITUTION"] : ["INSTITUTION"];
  const computed = monthly.data?.computedMonths as { month: string; computedAt: string }[] | undefined;
  const lastComputed = computed?.[computed.length - 1];

  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card
        size="small"
        title={
          <Space>
            {t("stats.title")}
            <Breadcrumb
              items={[
                { title: <a onClick={() => setPath([])}>{monthly.data?.scopeName && !path.length ? String(monthly.data.scopeName) : (user?.region?.name ?? (ownLevel === "PROVINCE" ? "全省" : user?.institution.name))}</a> },
                ...path.map((f, i) => ({ title: <a onClick={() => setPath((p) => p.slice(0, i + 1))}>{f.name}</a> })),
              ]}
            />
          </Space>
        }
        extra={
          <Space>
            <DatePicker.RangePicker
              picker="month"
              allowClear={false}
              value={[dayjs(range[0] + "-01"), dayjs(range[1] + "-01")]}
              onChange={(v) => v?.[0] && v[1] && setRange([v[0].format("YYYY-MM"), v[1].format("YYYY-MM")])}
              style={{ width: 220 }}
            />
            <Button icon={<DownloadOutlined />} loading={exporting === "monthly-xlsx"} onClick={() => void doExport("monthly", "xlsx")}>
              导出 XLSX
            </Button>
            <Button icon={<DownloadOutlined />} loading={exporting === "monthly-csv"} onClick={() => void doExport("monthly", "csv")}>
              导出 CSV
            </Button>
            <Button onClick={() => (void monthly.reload(), void breakdown.reload())}>{t("common.refresh")}</Button>
            {hasRole("PROVINCE_ADMIN") && (
              <Button icon={<ReloadOutlined />} onClick={() => void recompute()}>
                重新统计本月
              </Button>
            )}
          </Space>
        }
      >
        {monthly.error ? <ErrorAlert error={monthly.error} onRetry={monthly.reload} style={{ marginBottom: 12 }} /> : null}
        <Row gutter={16}>
          {KPI.map((k) => (
            <Col span={6} key={k}>
              <Card size="small" style={{ background: "#fafafa" }}>
                <Statistic title={`${METRICS[k]}（所选期间）`} value={totals[k] ?? 0} loading={monthly.loading} valueStyle={k === "sla_breaches" && (totals[k] ?? 0) > 0 ? { color: "#cf1322" } : undefined} data-testid={`kpi-${k}`} />
              </Card>
            </Col>
          ))}
        </Row>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {lastComputed ? `数据统计于 ${fmt(lastComputed.computedAt)}（${lastComputed.month}）` : "所选期间尚无统计结果"}
        </Typography.Text>
      </Card>
      <Row gutter={16}>
        <Col span={15}>
          <Card size="small" title="月度趋势">
            <EChart option={trendOption} height={260} testId="trend-chart" />
          </Card>
        </Col>
        <Col span={9}>
          <Card size="small" title={`${lastMonth} 会诊构成`} extra={<Segmented size="small" value={dim} onChange={(v) => setDim(String(v))} options={Object.entries(DIM_LABEL).map(([value, label]) => ({ value, label: label.replace("按", "") }))} />}>
            {dimRows.length ? <EChart option={dimOption} height={260} /> : <div style={{ height: 260, display: "flex", alignItems: "center", justifyContent: "center", color: "#8c8c8c" }}>暂无数据</div>}
          </Card>
        </Col>
      </Row>
      <Card
        size="small"
        title="分级明细（点击行下钻）"
        extra={
          <Space>
            <DatePicker picker="month" allowClear={false} value={dayjs(month + "-01")} onChange={(v) => v && setMonth(v.format("YYYY-MM"))} style={{ width: 120 }} />
            <Select value={metric} onChange={setMetric} style={{ width: 200 }} options={Object.entries(METRICS).map(([value, label]) => ({ value, label }))} />
            <Segmented value={level} onChange={(v) => setLevel(v as Scope)} options={levels.map((l) => ({ value: l, label: LEVEL_LABEL[l] }))} />
            <Button size="small" icon={<DownloadOutlined />} loading={exporting === "breakdown-xlsx"} onClick={() => void doExport("breakdown", "xlsx")}>
              XLSX
            </Button>
            <Button size="small" icon={<DownloadOutlined />} loading={exporting === "breakdown-csv"} onClick={() => void doExport("breakdown", "csv")}>
              CSV
            </Button>
          </Space>
        }
      >
        {breakdown.error ? <ErrorAlert error={breakdown.error} onRetry={breakdown.reload} style={{ marginBottom: 12 }} /> : null}
        <Table
          rowKey={(r) => String((r as { scopeId?: string }).scopeId ?? r.month)}
          size="small"
          loading={breakdown.loading}
          dataSource={[...((breakdown.data?.rows ?? []) as (StatRow & { value: number; scopeName?: string })[])].sort((a, b) => b.value - a.value)}
          pagination={{ pageSize: 8, showSizeChanger: false, showTotal: (n) => t("common.total", { n }) }}
          locale={{ emptyText: `${month} 暂无统计数据` }}
          onRow={(r) => ({ onClick: () => drill(r), style: { cursor: level === "TIER" ? undefined : "pointer" } })}
          columns={[
            { title: LEVEL_LABEL[level].replace("按", ""), dataIndex: "scopeName", render: (v: string) => KEY_LABEL[v] ?? v },
            { title: METRICS[metric] ?? metric, dataIndex: "value", width: 200, align: "right" as const },
          ]}
        />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          当前范围：{LEVEL_LABEL[currentLevel]}
        </Typography.Text>
      </Card>
    </Space>
  );
}
