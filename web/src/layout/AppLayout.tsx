// The authenticated frame: role-aware side menu, header with the notification centre and the user menu,
// and the reconnecting banner while the live connection is down.
import { Suspense, useMemo } from "react";
import { Outlet, useLocation, useNavigate, Link } from "react-router";
import { Alert, Avatar, Badge, Button, Dropdown, Layout, List, Menu, Popover, Space, Spin, Typography } from "antd";
import {
  AlertOutlined,
  BarChartOutlined,
  BellOutlined,
  CalendarOutlined,
  ClusterOutlined,
  FileAddOutlined,
  HomeOutlined,
  LogoutOutlined,
  ProfileOutlined,
  ReadOutlined,
  TeamOutlined,
  UserOutlined,
  DashboardOutlined,
} from "@ant-design/icons";
import { roleLabel, tierLabel } from "@yilian/contract";
import { t } from "../i18n";
import { NAV, canSee } from "../nav";
import { useSession, useUser } from "../lib/session";
import { useRealtime } from "../lib/realtime";
import { fmt } from "../lib/dayjs";
import { api } from "../lib/api";
import { errorText } from "../lib/errors";
import { useToast } from "../lib/toast";

const icons: Record<string, React.ReactNode> = {
  "/": <HomeOutlined />,
  "/consultations/new": <FileAddOutlined />,
  "/consultations": <ProfileOutlined />,
  "/triage": <AlertOutlined />,
  "/calendar": <CalendarOutlined />,
  "/training": <ReadOutlined />,
  "/statistics": <BarChartOutlined />,
  "/network": <ClusterOutlined />,
  "/users": <TeamOutlined />,
};

function NotificationCentre() {
  const { notifications, markAllRead, state } = useRealtime();
  const navigate = useNavigate();
  const unread = notifications.filter((n) => !n.read).length;
  const content = (
    <div style={{ width: 360, maxHeight: 420, overflow: "auto" }} data-testid="notification-list">
      <List
        size="small"
        locale={{ emptyText: t("notify.empty") }}
        dataSource={notifications}
        renderItem={(n) => (
          <List.Item
            style={{ cursor: n.link ? "pointer" : undefined, opacity: n.read ? 0.65 : 1 }}
            onClick={() => n.link && navigate(n.link)}
          >
            <List.Item.Meta
              title={n.title}
              description={
                <>
                  {n.body && <div>{n.body}</div>}
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {fmt(n.at, "MM-DD HH:mm:ss")}
                  </Typography.Text>
                </>
              }
            />
          </List.Item>
        )}
      />
    </div>
  );
  return (
    <span data-testid="live-state" data-state={state}>
      <Popover
        trigger="click"
        placement="bottomRight"
        title={
          <Space style={{ justifyContent: "space-between", width: "100%" }}>
            <span>{t("notify.title")}</span>
            <Button type="link" size="small" onClick={markAllRead} disabled={!unread}>
              {t("notify.markAll")}
            </Button>
          </Space>
        }
        content={content}
      >
        <Badge count={unread} size="small" data-testid="notification-badge">
          <Button type="text" icon={<BellOutlined style={{ fontSize: 18 }} />} aria-label={t("notify.title")} />
        </Badge>
      </Popover>
    </span>
  );
}

function ReconnectBanner() {
  const { state } = useRealtime();
  if (state !== "reconnecting") return null;
  return <Alert banner type="warning" showIcon title={t("realtime.reconnecting")} data-testid="reconnect-banner" />;
}

export function AppLayout() {
  const user = useUser();
  const { logout, hasRole } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const message = useToast();
  const items = useMemo(
    () =>
      NAV.filter((e) => canSee(e, user.roles)).map((e) => ({
        key: e.path,
        icon: icons[e.path],
        label: <Link to={e.path}>{t(e.label)}</Link>,
      })),
    [user.roles],
  );
  // The longest menu path that prefixes the location is the selected entry.
  const selected = items
    .map((i) => i.key)
    .filter((k) =>
      k === "/" ? location.pathname === "/" : location.pathname === k || location.pathname.startsWith(k + "/"),
    )
    .sort((a, b) => b.length - a.length)
    .filter(
      (k, _i, all) =>
        !(k === "/consultations" && all.includes("/consultations/new") && location.pathname === "/consultations/new"),
    )[0];

  const openQueues = async () => {
    try {
      const { ticket } = await api.request<{ ticket: string }>("POST", "/api/admin/queues/ticket", { body: {} });
      window.open(`/admin/queues?ticket=${encodeURIComponent(ticket)}`, "_blank", "noopener");
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider
        width={200}
        theme="light"
        breakpoint="lg"
        collapsedWidth={56}
        style={{ borderRight: "1px solid #f0f0f0" }}
      >
        <div
          style={{
            height: 56,
            display: "flex",
            alignItems: "center",
            gap: 8,
            padding: "0 20px",
            fontWeight: 600,
            fontSize: 16,
            color: "#1677ff",
            whiteSpace: "nowrap",
            overflow: "hidden",
          }}
        >
          <img src="/favicon.svg" alt="" width={24} height={24} />
          {t("app.short")}
        </div>
        <nav aria-label="主导航">
          <Menu mode="inline" selectedKeys={selected ? [selected] : []} items={items} style={{ borderInlineEnd: 0 }} />
          {hasRole("PROVINCE_ADMIN") && (
            <Menu
              mode="inline"
              selectable={false}
              style={{ borderInlineEnd: 0 }}
              items={[
                {
                  key: "queues",
                  icon: <DashboardOutlined />,
                  label: t("nav.queues"),
                  onClick: () => void openQueues(),
                },
              ]}
            />
          )}
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: "#fff",
            padding: "0 20px",
            height: 56,
            lineHeight: "56px",
            display: "flex",
            alignItems: "center",
            justifyContent: "space-between",
            borderBottom: "1px solid #f0f0f0",
          }}
        >
          <Typography.Text strong style={{ fontSize: 15 }}>
            {t("app.name")}
          </Typography.Text>
          <Space size={16}>
            <NotificationCentre />
            <Dropdown
              trigger={["click"]}
              menu={{
                items: [
                  {
                    key: "who",
                    disabled: true,
                    label: `${user.institution.name}（${tierLabel[user.institution.tier]}）`,
                  },
                  { key: "roles", disabled: true, label: user.roles.map((r) => roleLabel[r]).join("、") },
                  { type: "divider" },
                  {
                    key: "logout",
                    icon: <LogoutOutlined />,
                    label: t("nav.logout"),
                    onClick: () =>
                      void logout().then(() => navigate("/login", { replace: true, state: { loggedOut: true } })),
                  },
                ],
              }}
            >
              <Button type="text" data-testid="user-menu" style={{ height: 40 }}>
                <Space>
                  <Avatar size="small" icon={<UserOutlined />} />
                  <span>{user.displayName}</span>
                </Space>
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <ReconnectBanner />
        <Layout.Content style={{ padding: 20, minWidth: 0 }}>
          <Suspense
            fallback={
              <Spin style={{ display: "block", marginTop: 80 }} description={t("common.loading")}>
                <div />
              </Spin>
            }
          >
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
