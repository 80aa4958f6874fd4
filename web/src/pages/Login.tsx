// Login. After an expired session it explains that the half-filled request was kept, and returns the user
// to the screen they were on.
import { useState } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { LockOutlined, UserOutlined } from "@ant-design/icons";
import { useSession, EXPIRED_FLAG } from "../lib/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { t } from "../i18n";

interface LoginState {
  from?: string;
  expired?: boolean;
  loggedOut?: boolean;
}

export default function Login() {
  const { user, login } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const state = (location.state ?? {}) as LoginState;
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const expired = state.expired || sessionStorage.getItem(EXPIRED_FLAG) === "1";
  const target = state.from && state.from !== "/login" ? state.from : "/";
  if (user) return <Navigate to={target} replace />;

  const onFinish = async (values: { username: string; password: string }) => {
    // The form's rules mirror the contract's LoginBody; the server validates with it.
    const username = values.username.trim();
    setBusy(true);
    setError(null);
    try {
      await login(username, values.password);
      navigate(target, { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main
      style={{
        minHeight: "100vh",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        background: "linear-gradient(135deg, #e6f4ff 0%, #f5f5f5 60%)",
        padding: 16,
      }}
    >
      <Card style={{ width: 400, boxShadow: "0 6px 24px rgba(0,0,0,0.08)" }}>
        <div style={{ textAlign: "center", marginBottom: 24 }}>
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <Typography.Title level={3} style={{ margin: "8px 0 4px" }}>
            {t("app.name")}
          </Typography.Title>
          <Typography.Text type="secondary">{t("login.subtitle")}</Typography.Text>
        </div>
        {expired && (
          <Alert
            type="warning"
            showIcon
            title={t("login.expired")}
            style={{ marginBottom: 16 }}
            data-testid="expired-notice"
          />
        )}
        {state.loggedOut && !expired && (
          <Alert type="success" showIcon title={t("login.loggedOut")} style={{ marginBottom: 16 }} />
        )}
        {error !== null && <ErrorAlert error={error} style={{ marginBottom: 16 }} />}
        <Form layout="vertical" requiredMark={false} onFinish={onFinish} autoComplete="on">
          <Form.Item
            name="username"
            label={t("login.username")}
            rules={[{ required: true, whitespace: true, message: "请输入用户名" }]}
          >
            <Input prefix={<UserOutlined />} autoFocus autoComplete="username" size="large" id="username" />
          </Form.Item>
          <Form.Item name="password" label={t("login.password")} rules={[{ required: true, message: "请输入密码" }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" size="large" id="password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block size="large" loading={busy}>
            {t("login.submit")}
          </Button>
        </Form>
      </Card>
    </main>
  );
}
