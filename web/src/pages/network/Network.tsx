// Browser of the four-tier network (province → city → county → township) and its consortia (医联体).
import { useCallback, useMemo, useState } from "react";
import {
  Card,
  Col,
  Descriptions,
  Empty,
  Input,
  List,
  Row,
  Select,
  Space,
  Table,
  Tabs,
  Tag,
  Tree,
  Typography,
} from "antd";
import type { TreeDataNode } from "antd";
import {
  consortiumTypeLabel,
  institutionKindLabel,
  type ConsortiumSummary,
  type ConsortiumType,
  type InstitutionSummary,
  type InstitutionTreeNode,
  type Tier,
} from "@yilian/contract";
import { api } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { ErrorAlert } from "../../components/ErrorAlert";
import { TierTag } from "../../components/labels";
import { t } from "../../i18n";

interface Node extends TreeDataNode {
  key: string;
  inst: InstitutionTreeNode;
  children?: Node[];
}

const toNode = (n: InstitutionTreeNode): Node => ({
  key: n.id,
  inst: n,
  title: (
    <span>
      {n.name} <TierTag tier={n.tier} />
      {n.childCount > 0 && <Typography.Text type="secondary">（{n.childCount}）</Typography.Text>}
    </span>
  ),
  isLeaf: n.childCount === 0,
  children: n.children?.map(toNode),
});

function replaceChildren(nodes: Node[], key: string, children: Node[]): Node[] {
  return nodes.map((n) =>
    n.key === key
      ? { ...n, children }
      : n.children
        ? { ...n, children: replaceChildren(n.children, key, children) }
        : n,
  );
}

function InstitutionPanel({ id }: { id: string | null }) {
  const inst = useAsync(async () => (id ? api.institution(id) : null), [id]);
  const depts = useAsync(async () => (id ? api.departments(id) : []), [id]);
  const consortia = useAsync(async () => (id ? api.consortia({ institutionId: id, limit: 50 }) : null), [id]);
  if (!id) return <Empty description={t("network.pickHint")} />;
  if (inst.error) return <ErrorAlert error={inst.error} onRetry={inst.reload} />;
  const i = inst.data as (InstitutionSummary & Record<string, unknown>) | null | undefined;
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size={12}>
      <Descriptions title={i?.name} column={2} size="small" bordered>
        <Descriptions.Item label="级别">{i ? <TierTag tier={i.tier} /> : "—"}</Descriptions.Item>
        <Descriptions.Item label="类型">{i ? institutionKindLabel[i.kind] : "—"}</Descriptions.Item>
        <Descriptions.Item label="机构编码">{i?.code ?? "—"}</Descriptions.Item>
        <Descriptions.Item label="所在地">
          {[i?.city?.name, i?.county?.name].filter(Boolean).join(" · ") || "—"}
        </Descriptions.Item>
      </Descriptions>
      <Card size="small" title={t("network.departments")} loading={depts.loading}>
        {depts.data && depts.data.length ? (
          <Space wrap size={[4, 8]}>
            {depts.data.map((d) => (
              <Tag key={d.id}>{d.name}</Tag>
            ))}
          </Space>
        ) : (
          <Typography.Text type="secondary">{t("common.none")}</Typography.Text>
        )}
      </Card>
      <Card size="small" title={t("network.consortia")} loading={consortia.loading}>
        <List
          size="small"
          dataSource={consortia.data?.items ?? []}
          locale={{ emptyText: t("common.none") }}
          renderItem={(c) => (
            <List.Item>
              {c.name} <Tag>{consortiumTypeLabel[c.type]}</Tag>
            </List.Item>
          )}
        />
      </Card>
    </Space>
  );
}

function TierBrowser() {
  const [nodes, setNodes] = useState<Node[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [q, setQ] = useState("");
  const tree = useAsync(async () => {
    const roots = await api.institutionTree({ depth: 2 });
    setNodes(roots.map(toNode));
    return roots;
  }, []);
  const search = useAsync(async () => (q ? api.institutions({ q, limit: 30 }) : null), [q]);
  const loadData = useCallback(async (node: Node) => {
    if (node.children?.length || node.isLeaf) return;
    const kids = await api.institutionTree({ rootId: node.key, depth: 2 });
    const children = (kids[0]?.children ?? []).map(toNode);
    setNodes((prev) => replaceChildren(prev, node.key, children));
  }, []);
  return (
    <Row gutter={16}>
      <Col span={11}>
        <Card
          size="small"
          title={t("network.tree")}
          styles={{ body: { height: "calc(100vh - 250px)", minHeight: 360, overflow: "auto" } }}
        >
          <Input.Search
            placeholder={t("network.search")}
            allowClear
            onSearch={(v) => setQ(v.trim())}
            style={{ marginBottom: 8 }}
            aria-label={t("network.search")}
          />
          {tree.error ? <ErrorAlert error={tree.error} onRetry={tree.reload} /> : null}
          {q ? (
            <List
              size="small"
              loading={search.loading}
              dataSource={search.data?.items ?? []}
              locale={{ emptyText: t("common.none") }}
              renderItem={(i) => (
                <List.Item style={{ cursor: "pointer" }} onClick={() => setSelected(i.id)}>
                  <span>
                    {i.name} <TierTag tier={i.tier} />
                  </span>
                </List.Item>
              )}
            />
          ) : (
            <Tree<Node>
              treeData={nodes}
              loadData={loadData}
              onSelect={(keys) => setSelected((keys[0] as string) ?? null)}
              blockNode
            />
          )}
        </Card>
      </Col>
      <Col span={13}>
        <Card size="small" styles={{ body: { height: "calc(100vh - 210px)", minHeight: 400, overflow: "auto" } }}>
          <InstitutionPanel id={selected} />
        </Card>
      </Col>
    </Row>
  );
}

function ConsortiumBrowser() {
  const [type, setType] = useState<ConsortiumType | undefined>();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<ConsortiumSummary | null>(null);
  const list = useAsync(
    () => api.consortia({ type, q: q || undefined, limit: 10, offset: (page - 1) * 10 }),
    [type, q, page],
  );
  const members = useAsync(async () => (open ? api.consortiumMembers(open.id, { limit: 200 }) : null), [open?.id]);
  const typeOptions = useMemo(
    () => Object.entries(consortiumTypeLabel).map(([value, label]) => ({ value, label })),
    [],
  );
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <Space>
        <Select
          allowClear
          placeholder="医联体类型"
          style={{ width: 180 }}
          options={typeOptions}
          value={type}
          onChange={(v) => (setType(v), setPage(1))}
        />
        <Input.Search
          placeholder="按名称搜索医联体"
          allowClear
          onSearch={(v) => (setQ(v.trim()), setPage(1))}
          style={{ width: 260 }}
        />
      </Space>
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
      <Table<ConsortiumSummary>
        rowKey="id"
        size="small"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        pagination={{
          current: page,
          pageSize: 10,
          total: list.data?.total ?? 0,
          onChange: setPage,
          showTotal: (n) => t("common.total", { n }),
          showSizeChanger: false,
        }}
        onRow={(r) => ({ onClick: () => setOpen(r), style: { cursor: "pointer" } })}
        columns={[
          { title: "名称", dataIndex: "name", ellipsis: true },
          {
            title: "类型",
            dataIndex: "type",
            width: 130,
            render: (v: ConsortiumType) => <Tag color="blue">{consortiumTypeLabel[v]}</Tag>,
          },
          { title: "牵头单位", width: 220, ellipsis: true, render: (_, r) => r.leadInstitution?.name ?? "—" },
          { title: "专科", width: 110, render: (_, r) => r.specialty?.name ?? "—" },
          { title: "成员数", dataIndex: "memberCount", width: 80, align: "right" },
        ]}
      />
      {open && (
        <Card
          size="small"
          title={`${open.name} · ${t("network.members")}`}
          extra={<a onClick={() => setOpen(null)}>{t("common.cancel")}</a>}
        >
          {members.error ? <ErrorAlert error={members.error} /> : null}
          <Table
            rowKey="id"
            size="small"
            loading={members.loading}
            dataSource={members.data?.items ?? []}
            pagination={{ pageSize: 8, showSizeChanger: false }}
            columns={[
              { title: "机构", dataIndex: "name", ellipsis: true },
              { title: "级别", dataIndex: "tier", width: 110, render: (v: Tier) => <TierTag tier={v} /> },
              { title: "角色", dataIndex: "role", width: 120, render: (v: string) => memberRoleLabel[v] ?? v },
            ]}
          />
        </Card>
      )}
    </Space>
  );
}

const memberRoleLabel: Record<string, string> = { LEAD: "牵头单位", MEMBER: "成员单位" };

export default function Network() {
  return (
    <Card title={t("network.title")}>
      <Tabs
        items={[
          { key: "tiers", label: t("network.tree"), children: <TierBrowser /> },
          { key: "consortia", label: t("network.consortia"), children: <ConsortiumBrowser /> },
        ]}
      />
    </Card>
  );
}
