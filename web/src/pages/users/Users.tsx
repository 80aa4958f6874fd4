// User management within the administrator's scope: search, create, edit roles / title, enable or disable.
import { useMemo, useState } from "react";
import { Button, Card, Form, Input, Modal, Select, Space, Switch, Table, Tag } from "antd";
import { PlusOutlined } from "@ant-design/icons";
import {
  CreateUserBody,
  ProfessionalTitle,
  Role,
  professionalTitleLabel,
  roleLabel,
  type UserSummary,
} from "@yilian/contract";
import { api } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useUser } from "../../lib/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { TierTag } from "../../components/labels";
import { explain, errorText } from "../../lib/errors";
import { t } from "../../i18n";
import { useToast } from "../../lib/toast";

const roleOptions = Role.options.map((r) => ({ value: r, label: roleLabel[r] }));
const titleOptions = ProfessionalTitle.options.map((r) => ({ value: r, label: professionalTitleLabel[r] }));

function UserForm({
  open,
  onClose,
  editing,
}: {
  open: boolean;
  onClose: (changed: boolean) => void;
  editing: UserSummary | null;
}) {
  const me = useUser();
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const message = useToast();
  const institutions = useAsync(
    async () => (open && !editing ? api.institutions({ limit: 50 }) : null),
    [open, editing],
  );

  const submit = async () => {
    const values = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      if (editing) {
        await api.updateUser(editing.id, {
          displayName: values.displayName,
          roles: values.roles,
          title: values.title ?? null,
        });
      } else {
        const body = CreateUserBody.safeParse({ ...values, institutionId: values.institutionId ?? me.institution.id });
        if (!body.success) {
          form.setFields(body.error.issues.map((i) => ({ name: i.path as string[], errors: [i.message] })));
          return;
        }
        await api.createUser(body.data);
      }
      message.success("已保存");
      onClose(true);
    } catch (e) {
      const x = explain(e);
      form.setFields(x.fields.map((f) => ({ name: f.path.replace(/^body\./, "").split("."), errors: [f.message] })));
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={editing ? `编辑用户：${editing.displayName}` : t("users.create")}
      onCancel={() => onClose(false)}
      onOk={() => void submit()}
      okText={t("common.save")}
      confirmLoading={busy}
      destroyOnHidden
      afterOpenChange={(v) => {
        if (v) setError(null);
        else form.resetFields();
      }}
    >
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 12 }} />}
      {/* Values from the first render, not after the opening animation: a choice made while the dialog still opens
          would otherwise be overwritten by them. */}
      <Form
        key={editing?.id ?? "new"}
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={
          editing
            ? { displayName: editing.displayName, roles: editing.roles, title: editing.title ?? undefined }
            : { roles: ["DOCTOR"] }
        }
      >
        {!editing && (
          <>
            <Form.Item
              name="username"
              label="用户名"
              rules={[
                { required: true, message: "请输入用户名" },
                { pattern: /^[a-z0-9._-]{3,64}$/, message: "3–64 位小写字母、数字、点、下划线或连字符" },
              ]}
            >
              <Input autoComplete="off" />
            </Form.Item>
            <Form.Item
              name="password"
              label="初始密码"
              rules={[{ required: true, min: 10, message: "密码至少 10 位" }]}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
            <Form.Item name="institutionId" label="所属机构" tooltip="不选择则为本机构">
              <Select
                allowClear
                showSearch
                optionFilterProp="label"
                loading={institutions.loading}
                placeholder={me.institution.name}
                options={(institutions.data?.items ?? []).map((i) => ({ value: i.id, label: i.name }))}
              />
            </Form.Item>
          </>
        )}
        <Form.Item
          name="displayName"
          label="姓名"
          rules={[{ required: true, whitespace: true, message: "请输入姓名" }]}
        >
          <Input />
        </Form.Item>
        <Form.Item name="roles" label="角色" rules={[{ required: true, message: "请至少选择一个角色" }]}>
          <Select mode="multiple" options={roleOptions} />
        </Form.Item>
        <Form.Item name="title" label="职称">
          <Select allowClear options={titleOptions} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function Users() {
  const [q, setQ] = useState("");
  const [role, setRole] = useState<Role | undefined>();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<UserSummary | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const message = useToast();
  const list = useAsync(
    () => api.users({ q: q || undefined, role, limit: 10, offset: (page - 1) * 10 }),
    [q, role, page],
  );

  const toggle = async (u: UserSummary, active: boolean) => {
    try {
      await api.updateUser(u.id, { active });
      message.success(active ? "账号已启用" : "账号已停用");
      void list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const columns = useMemo(
    () => [
      { title: "姓名", dataIndex: "displayName", width: 120 },
      { title: "用户名", dataIndex: "username", width: 170, ellipsis: true },
      {
        title: "机构",
        ellipsis: true,
        render: (_: unknown, u: UserSummary) => (
          <span>
            {u.institution.name} <TierTag tier={u.institution.tier} />
          </span>
        ),
      },
      { title: "科室", width: 120, ellipsis: true, render: (_: unknown, u: UserSummary) => u.department?.name ?? "—" },
      {
        title: "角色",
        width: 200,
        render: (_: unknown, u: UserSummary) => u.roles.map((r) => <Tag key={r}>{roleLabel[r]}</Tag>),
      },
      {
        title: "职称",
        width: 100,
        render: (_: unknown, u: UserSummary) => (u.title ? professionalTitleLabel[u.title] : "—"),
      },
      {
        title: "状态",
        width: 90,
        render: (_: unknown, u: UserSummary) => (
          <Switch
            size="small"
            checked={u.active}
            checkedChildren={t("users.active")}
            unCheckedChildren={t("users.disabled")}
            onChange={(v) => void toggle(u, v)}
            aria-label="启用或停用账号"
          />
        ),
      },
      {
        title: t("common.actions"),
        width: 70,
        render: (_: unknown, u: UserSummary) => (
          <Button type="link" size="small" onClick={() => (setEditing(u), setFormOpen(true))}>
            {t("common.edit")}
          </Button>
        ),
      },
    ],
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  return (
    <Card
      title={t("users.title")}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => (setEditing(null), setFormOpen(true))}>
          {t("users.create")}
        </Button>
      }
    >
      <Space style={{ marginBottom: 12 }}>
        <Input.Search
          placeholder={t("users.search")}
          allowClear
          onSearch={(v) => (setQ(v.trim()), setPage(1))}
          style={{ width: 260 }}
          aria-label={t("users.search")}
        />
        <Select
          allowClear
          placeholder="全部角色"
          style={{ width: 180 }}
          options={roleOptions}
          value={role}
          onChange={(v) => (setRole(v), setPage(1))}
        />
      </Space>
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} style={{ marginBottom: 12 }} /> : null}
      <Table<UserSummary>
        rowKey="id"
        size="small"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        columns={columns}
        tableLayout="fixed"
        pagination={{
          current: page,
          pageSize: 10,
          total: list.data?.total ?? 0,
          onChange: setPage,
          showSizeChanger: false,
          showTotal: (n) => t("common.total", { n }),
        }}
      />
      <UserForm
        open={formOpen}
        editing={editing}
        onClose={(changed) => (setFormOpen(false), changed && void list.reload())}
      />
    </Card>
  );
}
