// Statistics dashboard for administrators, scoped to their region: monthly trends, breakdowns by city, tier,
// county, institution, consortium and specialty, SLA breaches, training attendance, and CSV / XLSX export.
// Drill-down: clicking a row or bar narrows the whole dashboard to it (a city shows its counties, a county its
// institutions, a tier or consortium its institutions, a specialty filters everything to its share). The drill
// path and the filters live in the URL, so a view can be shared and the back button steps out again; exports
// export exactly the view shown.
import { useCallback, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import {
  Breadcrumb,
  Button,
  Card,
  Col,
  DatePicker,
  Row,
  Segmented,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from "antd";
import { DownloadOutlined, ReloadOutlined } from "@ant-design/icons";
import type { StatRowView as StatRow } from "@yilian/client-sdk";
import {
  consultationKindLabel,
  consultationStatusLabel,
  statLevelLabel,
  statMetricLabel,
  StatMonth,
  StatScope,
  STAT_CHILD_LEVELS,
  STAT_SPECIALTY_METRICS,
  tierLabel,
  urgencyLabel,
  type StatLevel,
  type Urgency,
} from "@yilian/contract";
import { api, saveFile } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useSession } from "../../lib/session";
import { useSpecialties } from "../../lib/refdata";
import { dayjs, fmt, TZ } from "../../lib/dayjs";
import { errorText } from "../../lib/errors";
import { ErrorAlert } from "../../components/ErrorAlert";
import { EChart } from "./Charts";
import { t } from "../../i18n";
import { useToast } from "../../lib/toast";

/** Metrics offered in the breakdown table. */
const TABLE_METRICS = [
  "consultations",
  "consultations_received",
  "sla_breaches",
  "referrals",
  "training_sessions",
  "training_attendances",
  "acceptance_minutes_p50",
  "report_minutes_p50",
  "uploads",
];
const KPI = ["consultations", "sla_breaches", "referrals", "training_attendances"] as const;
const SHORT: Partial<Record<string, string>> = {
  acceptance_minutes_p50: "受理时长中位数（分钟）",
  report_minutes_p50: "出报告时长中位数（分钟）",
};
const metricLabel = (m: string) => SHORT[m] ?? statMetricLabel[m] ?? m;
const bySpecialty = (m: string) => (STAT_SPECIALTY_METRICS as readonly string[]).includes(m);
const LEVEL_TAB: Record<StatLevel, string> = {
  CITY: "按市",
  TIER: "按级别",
  COUNTY: "按县区",
  INSTITUTION: "按机构",
  CONSORTIUM: "按医联体",
  SPECIALTY: "按专科",
};
const DIM_LABEL: Record<string, string> = { specialty: "专科", urgency: "紧急程度", status: "状态", kind: "会诊类型" };
const KEY_LABEL: Record<string, string> = {
  ...urgencyLabel,
  ...tierLabel,
  ...consultationStatusLabel,
  ...consultationKindLabel,
  UNSPECIFIED: "未指定",
};
const URGENCY_COLOR: Record<Urgency, string> = { ROUTINE: "#1677ff", URGENT: "#fa8c16", EMERGENCY: "#cf1322" };

interface Segment {
  scope: StatScope;
  scopeId: string;
}
const parsePath = (raw: string | null): Segment[] =>
  (raw ?? "")
    .split(",")
    .map((s) => s.split(":") as [string, string?])
    .filter((p): p is [StatScope, string] => StatScope.safeParse(p[0]).success && !!p[1])
    .map(([scope, scopeId]) => ({ scope, scopeId }));
const formatPath = (p: Segment[]) => p.map((s) => `${s.scope}:${s.scopeId}`).join(",");
const isMonth = (v: string | null): v is string => StatMonth.safeParse(v).success;

export default function Statistics() {
  const { user, hasRole } = useSession();
  const message = useToast();
  const specialties = useSpecialties();
  const keyLabel = (dimension: string, key: string) =>
    dimension === "specialty" ? (KEY_LABEL[key] ?? specialties.name(key)) : (KEY_LABEL[key] ?? key);
  const [params, setParams] = useSearchParams();

  // ---------------------------------------------------------------------------------- the view, from the URL
  const nowMonth = dayjs().tz(TZ).format("YYYY-MM");
  const from = isMonth(params.get("from"))
    ? params.get("from")!
    : dayjs().tz(TZ).subtract(11, "month").format("YYYY-MM");
  const to = isMonth(params.get("to")) ? params.get("to")! : nowMonth;
  const month = isMonth(params.get("month")) ? params.get("month")! : to;
  const pathParam = params.get("path") ?? "";
  const path = useMemo(() => parsePath(pathParam), [pathParam]);
  const focus = path[path.length - 1];
  const specialty = params.get("specialty") || undefined;
  const ownScope: StatScope = hasRole("PROVINCE_ADMIN")
    ? "PROVINCE"
    : user?.region
      ? (user.region.kind as StatScope)
      : "INSTITUTION";
  const focusScope = focus?.scope ?? ownScope;
  const levels = STAT_CHILD_LEVELS[focusScope];
  const levelParam = params.get("level") as StatLevel | null;
  const level: StatLevel = levelParam && levels.includes(levelParam) ? levelParam : levels[0]!;
  const metricParam = params.get("metric") ?? "consultations";
  const metric =
    TABLE_METRICS.includes(metricParam) && (!specialty || bySpecialty(metricParam)) ? metricParam : "consultations";
  const [dim, setDim] = useState("specialty");
  const [exporting, setExporting] = useState<string | null>(null);

  /** Changes the view: drill steps go into the history (back steps out), control changes replace the entry. */
  const update = useCallback(
    (changes: Record<string, string | undefined>, push = false) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(changes)) {
            if (v) next.set(k, v);
            else next.delete(k);
          }
          return next;
        },
        { replace: !push },
      );
    },
    [setParams],
  );

  // ------------------------------------------------------------------------------------------------- data
  const monthlyQuery = {
    from,
    to,
    ...(focus ? { scope: focus.scope, scopeId: focus.scopeId } : {}),
    ...(specialty ? { specialty } : {}),
  };
  const breakdownQuery = {
    month,
    scope: level,
    metric,
    ...(focus ? { withinScope: focus.scope, withinId: focus.scopeId } : {}),
    ...(specialty ? { specialty } : {}),
  };
  const monthly = useAsync(
    () => api.statisticsMonthly(monthlyQuery),
    [from, to, focus?.scope, focus?.scopeId, specialty],
  );
  const breakdown = useAsync(
    () => api.statisticsBreakdown(breakdownQuery),
    [month, level, metric, focus?.scope, focus?.scopeId, specialty],
  );
  const names = useAsync(
    () => (pathParam ? api.statisticsPath(pathParam) : Promise.resolve({ items: [] })),
    [pathParam],
  );

  const rows: StatRow[] = monthly.data?.rows ?? [];
  const totals = monthly.data?.totals ?? {};
  // Totals rows: dimension "" — or, under a specialty filter, that specialty's rows.
  const isTotal = (r: StatRow) => (specialty ? r.dimension === "specialty" && r.key === specialty : r.dimension === "");
  const months = useMemo(() => {
    const out: string[] = [];
    for (let m = dayjs(from + "-01"); !m.isAfter(dayjs(to + "-01")); m = m.add(1, "month"))
      out.push(m.format("YYYY-MM"));
    return out;
  }, [from, to]);
  const series = (m: string, pick: (r: StatRow) => boolean = isTotal) =>
    months.map((mo) => rows.find((r) => r.month === mo && r.metric === m && pick(r))?.value ?? 0);

  const trendOption = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 44, right: 16, top: 36, bottom: 24 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", minInterval: 1 },
      series: ["consultations", "consultations_received", ...(specialty ? [] : ["referrals"])].map((m) => ({
        name: metricLabel(m),
        type: "line",
        data: series(m),
      })),
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [rows, months, specialty],
  );
  const slaOption = useMemo(() => {
    // Without a specialty filter the breaches are stacked by urgency (the rollups have no urgency × specialty).
    const stacks: { name: string; data: number[]; color?: string }[] = specialty
      ? [{ name: metricLabel("sla_breaches"), data: series("sla_breaches"), color: "#cf1322" }]
      : (Object.keys(urgencyLabel) as Urgency[]).map((u) => ({
          name: urgencyLabel[u],
          data: series("sla_breaches", (r) => r.dimension === "urgency" && r.key === u),
          color: URGENCY_COLOR[u],
        }));
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 44, right: 16, top: 36, bottom: 24 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", minInterval: 1 },
      series: stacks.map((s) => ({
        name: s.name,
        type: "bar",
        stack: "sla",
        data: s.data,
        itemStyle: { color: s.color },
      })),
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, months, specialty]);
  const trainingOption = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 52, right: 44, top: 36, bottom: 24 },
      xAxis: { type: "category", data: months },
      yAxis: [
        { type: "value", minInterval: 1, name: "人次" },
        { type: "value", minInterval: 1, name: "场次", splitLine: { show: false } },
      ],
      series: [
        {
          name: metricLabel("training_attendances"),
          type: "bar",
          data: series("training_attendances"),
          itemStyle: { color: "#52c41a" },
        },
        {
          name: metricLabel("training_sessions"),
          type: "line",
          yAxisIndex: 1,
          data: series("training_sessions"),
          itemStyle: { color: "#722ed1" },
        },
      ],
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [rows, months],
  );

  const lastMonth = to;
  const dimRows = rows
    .filter((r) => r.month === lastMonth && r.metric === "consultations" && r.dimension === dim)
    .sort((a, b) => b.value - a.value)
    .slice(0, 12);
  const dimOption = useMemo(
    () => ({
      tooltip: {},
      grid: { left: 110, right: 16, top: 8, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: dimRows.map((r) => keyLabel(r.dimension, r.key)).reverse() },
      series: [
        {
          type: "bar",
          data: dimRows.map((r) => r.value).reverse(),
          itemStyle: { color: "#1677ff" },
          cursor: dim === "specialty" ? "pointer" : "default",
        },
      ],
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [dimRows, specialties.list],
  );

  // ------------------------------------------------------------------------------------------- drill-down
  // Only an answer to the query now shown counts: rows of the previous level or focus (while the next loads)
  // would be labelled and drilled as the new level.
  const b = breakdown.data;
  const current =
    b &&
    b.scope === level &&
    b.month === month &&
    b.metric === metric &&
    b.specialty === (specialty ?? null) &&
    (!focus || (b.within.scope === focus.scope && b.within.scopeId === focus.scopeId))
      ? b
      : undefined;
  const tableRows = useMemo(() => [...(current?.rows ?? [])].sort((a, b) => b.value - a.value), [current]);
  const rowId = (r: StatRow) => (level === "SPECIALTY" ? r.key : r.scopeId);
  const rowLabel = (r: StatRow) =>
    level === "SPECIALTY"
      ? keyLabel("specialty", r.key)
      : level === "TIER"
        ? (KEY_LABEL[r.scopeId] ?? r.scopeName)
        : r.scopeName;
  const drillable = level === "SPECIALTY" ? !specialty : level !== focusScope;

  const filterSpecialty = (code: string) => {
    const stay = STAT_CHILD_LEVELS[focusScope].find((l) => l !== "SPECIALTY");
    update(
      {
        specialty: code,
        level: level === "SPECIALTY" ? stay : (params.get("level") ?? undefined),
        metric: bySpecialty(metric) ? (params.get("metric") ?? undefined) : undefined,
      },
      true,
    );
  };
  const drill = (r: StatRow) => {
    if (!drillable) return;
    if (level === "SPECIALTY") return filterSpecialty(r.key);
    const next = [...path, { scope: level as StatScope, scopeId: r.scopeId }];
    update({ path: formatPath(next), level: undefined }, true);
  };
  const goTo = (depth: number) =>
    update(
      { path: depth ? formatPath(path.slice(0, depth)) : undefined, specialty: undefined, level: undefined },
      true,
    );

  const chartRows = tableRows.slice(0, 12);
  const breakdownOption = useMemo(
    () => ({
      tooltip: {},
      grid: { left: 130, right: 16, top: 8, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        data: chartRows.map(rowLabel).reverse(),
        axisLabel: { width: 120, overflow: "truncate" },
      },
      series: [
        {
          type: "bar",
          data: chartRows.map((r) => r.value).reverse(),
          itemStyle: { color: "#13c2c2" },
          cursor: drillable ? "pointer" : "default",
        },
      ],
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [chartRows, specialties.list, drillable],
  );

  // ---------------------------------------------------------------------------------------------- actions
  const doExport = async (kind: "monthly" | "breakdown", format: "csv" | "xlsx") => {
    const key = `${kind}-${format}`;
    setExporting(key);
    const hide = message.loading("正在生成导出文件…", 0);
    try {
      const f =
        kind === "monthly"
          ? await api.statisticsExport("monthly", monthlyQuery, format)
          : await api.statisticsExport("breakdown", breakdownQuery, format);
      saveFile(f.blob, f.filename ?? `统计_${kind}.${format}`);
      message.success("导出完成");
    } catch (e) {
      message.error(errorText(e));
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
      message.error(errorText(e));
    }
  };

  const rootName = ownScope === "PROVINCE" ? "全省" : (user?.region?.name ?? user?.institution.name ?? "");
  const crumbs = [
    { title: rootName, onClick: path.length || specialty ? () => goTo(0) : undefined },
    ...path.map((s, i) => ({
      title: names.data?.items[i]?.name ?? (s.scope === "TIER" ? KEY_LABEL[s.scopeId] : "…"),
      onClick: i < path.length - 1 || specialty ? () => goTo(i + 1) : undefined,
    })),
    ...(specialty
      ? [{ title: `专科：${monthly.data?.specialtyName ?? specialties.name(specialty)}`, onClick: undefined }]
      : []),
  ];
  const computed = monthly.data?.computedMonths;
  const lastComputed = computed?.[computed.length - 1];
  const placeholder = (text: string) => (
    <div style={{ height: 240, display: "flex", alignItems: "center", justifyContent: "center", color: "#8c8c8c" }}>
      {text}
    </div>
  );

  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card
        size="small"
        title={t("stats.title")}
        extra={
          <Space wrap>
            <DatePicker.RangePicker
              picker="month"
              allowClear={false}
              value={[dayjs(from + "-01"), dayjs(to + "-01")]}
              onChange={(v) => v?.[0] && v[1] && update({ from: v[0].format("YYYY-MM"), to: v[1].format("YYYY-MM") })}
              style={{ width: 220 }}
            />
            <Button
              icon={<DownloadOutlined />}
              loading={exporting === "monthly-xlsx"}
              onClick={() => void doExport("monthly", "xlsx")}
            >
              导出 XLSX
            </Button>
            <Button
              icon={<DownloadOutlined />}
              loading={exporting === "monthly-csv"}
              onClick={() => void doExport("monthly", "csv")}
              data-testid="export-monthly-csv"
            >
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
        {/* Its own line: a deep path (county, institution, specialty) would be cut off in the card's title. */}
        <div data-testid="stats-breadcrumb" style={{ marginBottom: 12 }}>
          <Breadcrumb
            items={crumbs.map((c) => ({
              title: c.onClick ? <a onClick={c.onClick}>{c.title}</a> : <span>{c.title}</span>,
            }))}
          />
        </div>
        {/* A focus out of reach fails every request alike (未找到): one alert says it. */}
        {monthly.error || names.error ? (
          <ErrorAlert
            error={monthly.error ?? names.error}
            onRetry={() => (void monthly.reload(), void names.reload())}
            style={{ marginBottom: 12 }}
          />
        ) : null}
        <Row gutter={16}>
          {KPI.map((k) => {
            const applies = !specialty || bySpecialty(k);
            return (
              <Col span={6} key={k}>
                <Card size="small" style={{ background: "#fafafa" }}>
                  <Statistic
                    title={`${metricLabel(k)}（所选期间）`}
                    value={applies ? (totals[k] ?? 0) : "—"}
                    loading={monthly.loading}
                    valueStyle={k === "sla_breaches" && (totals[k] ?? 0) > 0 ? { color: "#cf1322" } : undefined}
                    data-testid={`kpi-${k}`}
                  />
                </Card>
              </Col>
            );
          })}
        </Row>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {lastComputed
            ? `数据统计于 ${fmt(lastComputed.computedAt)}（${lastComputed.month}）`
            : "所选期间尚无统计结果"}
          {specialty ? "；按专科筛选时，双向转诊不分专科，不予显示" : ""}
        </Typography.Text>
      </Card>
      <Row gutter={16}>
        <Col span={15}>
          <Card size="small" title="月度趋势">
            <EChart option={trendOption} height={240} testId="trend-chart" />
          </Card>
        </Col>
        <Col span={9}>
          <Card
            size="small"
            title={`${lastMonth} 会诊构成`}
            extra={
              specialty ? null : (
                <Segmented
                  size="small"
                  value={dim}
                  onChange={(v) => setDim(String(v))}
                  options={Object.entries(DIM_LABEL).map(([value, label]) => ({ value, label }))}
                />
              )
            }
          >
            {specialty ? (
              placeholder("已按专科筛选")
            ) : dimRows.length ? (
              <EChart
                option={dimOption}
                height={240}
                testId="dim-chart"
                onClick={
                  dim === "specialty"
                    ? (_n, i) => {
                        const r = dimRows[dimRows.length - 1 - i];
                        if (r) filterSpecialty(r.key);
                      }
                    : undefined
                }
              />
            ) : (
              placeholder("暂无数据")
            )}
          </Card>
        </Col>
      </Row>
      <Row gutter={16}>
        <Col span={12}>
          <Card size="small" title="超时未受理（按月）">
            <EChart option={slaOption} height={220} testId="sla-chart" />
          </Card>
        </Col>
        <Col span={12}>
          <Card size="small" title="远程培训参训（按月）">
            <EChart option={trainingOption} height={220} testId="training-chart" />
          </Card>
        </Col>
      </Row>
      <Card
        size="small"
        title={drillable ? "分级明细（点击下钻）" : "分级明细"}
        extra={
          <Space>
            <Button
              size="small"
              icon={<DownloadOutlined />}
              loading={exporting === "breakdown-xlsx"}
              onClick={() => void doExport("breakdown", "xlsx")}
            >
              XLSX
            </Button>
            <Button
              size="small"
              icon={<DownloadOutlined />}
              loading={exporting === "breakdown-csv"}
              onClick={() => void doExport("breakdown", "csv")}
              data-testid="export-breakdown-csv"
            >
              CSV
            </Button>
          </Space>
        }
      >
        <Space wrap style={{ marginBottom: 12 }}>
          <Segmented
            value={level}
            onChange={(v) => update({ level: String(v) })}
            options={levels.map((l) => ({ value: l, label: LEVEL_TAB[l] }))}
          />
          <DatePicker
            picker="month"
            allowClear={false}
            value={dayjs(month + "-01")}
            onChange={(v) => v && update({ month: v.format("YYYY-MM") })}
            style={{ width: 120 }}
          />
          <Select
            value={metric}
            onChange={(v) => update({ metric: v })}
            style={{ width: 220 }}
            options={TABLE_METRICS.filter((m) => !specialty || bySpecialty(m)).map((value) => ({
              value,
              label: metricLabel(value),
            }))}
          />
          {specialty ? (
            <Tag closable onClose={() => update({ specialty: undefined }, true)} color="blue">
              专科：{monthly.data?.specialtyName ?? specialties.name(specialty)}
            </Tag>
          ) : null}
        </Space>
        {breakdown.error && !monthly.error ? (
          <ErrorAlert error={breakdown.error} onRetry={breakdown.reload} style={{ marginBottom: 12 }} />
        ) : null}
        <Row gutter={16}>
          <Col span={10}>
            {chartRows.length ? (
              <EChart
                option={breakdownOption}
                height={Math.max(160, chartRows.length * 26 + 28)}
                testId="breakdown-chart"
                onClick={(_n, i) => {
                  const r = chartRows[chartRows.length - 1 - i];
                  if (r) drill(r);
                }}
              />
            ) : (
              placeholder(!current && !breakdown.error ? t("common.loading") : `${month} 暂无统计数据`)
            )}
          </Col>
          <Col span={14} data-testid="breakdown-table">
            <Table<StatRow>
              rowKey={rowId}
              size="small"
              loading={breakdown.loading || (!current && !breakdown.error)}
              dataSource={tableRows}
              pagination={{ pageSize: 10, showSizeChanger: false, showTotal: (n) => t("common.total", { n }) }}
              locale={{ emptyText: `${month} 暂无统计数据` }}
              onRow={(r) => ({ onClick: () => drill(r), style: { cursor: drillable ? "pointer" : undefined } })}
              columns={[
                { title: statLevelLabel[level], key: "name", render: (_v, r) => rowLabel(r) },
                {
                  title: metricLabel(metric),
                  dataIndex: "value",
                  width: 180,
                  align: "right" as const,
                  render: (v: number) => Math.round(v * 100) / 100,
                },
              ]}
              summary={(data) =>
                /_p\d+$/.test(metric) || !data.length ? null : (
                  <Table.Summary.Row>
                    <Table.Summary.Cell index={0}>合计（全部 {tableRows.length} 项）</Table.Summary.Cell>
                    <Table.Summary.Cell index={1} align="right">
                      <span data-testid="breakdown-total">
                        {Math.round(tableRows.reduce((a, r) => a + r.value, 0) * 100) / 100}
                      </span>
                    </Table.Summary.Cell>
                  </Table.Summary.Row>
                )
              }
            />
          </Col>
        </Row>
      </Card>
    </Space>
  );
}
