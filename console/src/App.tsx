import { Link, Navigate, Route, Routes, useLocation } from "react-router-dom";

import { AuthProvider, useAuth } from "./auth";
import { Compare } from "./pages/Compare";
import { NewSeason } from "./pages/NewSeason";
import { SeasonPage } from "./pages/SeasonPage";
import { Seasons } from "./pages/Seasons";
import { SignIn } from "./pages/SignIn";

function Shell() {
  const { me, loading, signOut } = useAuth();
  const location = useLocation();
  if (loading) return <p className="muted pad">Loading…</p>;
  if (!me) {
    return location.pathname === "/signin" ? <SignIn /> : <Navigate to="/signin" state={{ from: location.pathname }} replace />;
  }
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          Season Planner
        </Link>
        <nav>
          <Link to="/">Seasons</Link>
          {me.can_plan && <Link to="/new">New season</Link>}
          <a href="/docs" target="_blank" rel="noreferrer">
            API
          </a>
        </nav>
        <div className="who">
          <span data-testid="who">
            {me.name} <span className="muted">({me.roles.join(", ") || "read only"})</span>
          </span>
          <button className="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<Seasons />} />
          <Route path="/new" element={<NewSeason />} />
          <Route path="/compare" element={<Compare />} />
          <Route path="/seasons/:id/*" element={<SeasonPage />} />
          <Route path="/signin" element={<Navigate to="/" replace />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </main>
    </div>
  );
}

export function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}
