-- The covering read index made every recompute write a unique, wide entry per rollup row (a quarter of a gigabyte
-- at province scale, evicting the month being written); the narrow (scope, scopeId, month) index deduplicates and
-- answers the monthly API's filters just as well.
DROP INDEX "MonthlyStat_scope_read_idx";
CREATE INDEX "MonthlyStat_scope_scopeId_month_idx" ON "MonthlyStat"("scope", "scopeId", "month");
