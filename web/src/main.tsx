// Console entry: Ant Design in zh_CN, dayjs in Asia/Shanghai, routes code-split per screen (React.lazy).
import "./index.css";
import "./lib/dayjs";
import { StrictMode, Suspense, lazy, useCallback, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { App as AntApp, ConfigProvider, Spin } from "antd";
import zhCN from "antd/locale/zh_CN";
import { SessionProvider, useSession } from "./lib/session";
import { t } from "./i18n";
import { ErrorBoundary } from "./components/ErrorBoundary";

const Login = lazy(() => import("./pages/Login"));
const Shell = lazy(() => import("./layout/Shell"));
const Home = lazy(() => import("./pages/Home"));
const ConsultationList = lazy(() => import("./pages/consultations/ConsultationList"));
const NewConsultation = lazy(() => import("./pages/consultations/NewConsultation"));
const ConsultationDetail = lazy(() => import("./pages/consultations/ConsultationDetail"));
const Triage = lazy(() => import("./pages/triage/Triage"));
const Calendar = lazy(() => import("./pages/calendar/Calendar"));
const VideoRoom = lazy(() => import("./pages/room/VideoRoom"));
const TrainingList = lazy(() => import("./pages/training/TrainingList"));
const TrainingDetail = lazy(() => import("./pages/training/TrainingDetail"));
const Statistics = lazy(() => import("./pages/statistics/Statistics"));
const Network = lazy(() => import("./pages/network/Network"));
const Users = lazy(() => import("./pages/users/Users"));
const NotFoundPage = lazy(() => import("./components/NotFoundPage"));

const fallback = <Spin size="large" style={{ display: "block", marginTop: "30vh" }} aria-label={t("common.loading")} />;

function RequireAuth({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const location = useLocation();
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

function Root() {
  const navigate = useNavigate();
  const location = useLocation();
  // Session over (refresh failed or revoked): back to the login, remembering the screen.
  const onExpired = useCallback(() => {
    // BrowserRouter navigates synchronously; navigate() returns a promise only under a data router.
    if (location.pathname !== "/login")
      void navigate("/login", { replace: true, state: { from: location.pathname + location.search, expired: true } });
  }, [navigate, location.pathname, location.search]);
  return (
    <SessionProvider onExpired={onExpired}>
      <Suspense fallback={fallback}>
        <Routes>
          <Route path="/login" element={<Login />} />
          <Route
            element={
              <RequireAuth>
                <Shell />
              </RequireAuth>
            }
          >
            <Route index element={<Home />} />
            <Route path="consultations" element={<ConsultationList />} />
            <Route path="consultations/new" element={<NewConsultation />} />
            <Route path="consultations/:id" element={<ConsultationDetail />} />
            <Route path="consultations/:id/room" element={<VideoRoom />} />
            <Route path="triage" element={<Triage />} />
            <Route path="calendar" element={<Calendar />} />
            <Route path="training" element={<TrainingList />} />
            <Route path="training/:id" element={<TrainingDetail />} />
            <Route path="statistics" element={<Statistics />} />
            <Route path="network" element={<Network />} />
            <Route path="users" element={<Users />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </Suspense>
    </SessionProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ConfigProvider locale={zhCN} theme={{ token: { colorPrimary: "#1677ff", borderRadius: 6, fontSize: 14 } }}>
      <AntApp>
        <ErrorBoundary>
          <BrowserRouter>
            <Root />
          </BrowserRouter>
        </ErrorBoundary>
      </AntApp>
    </ConfigProvider>
  </StrictMode>,
);
