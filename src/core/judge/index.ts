/**
 * Coalmine's judge: `assess()` turns the minutes that settled since the last look into a phase,
 * reasons and figures. Pure; no AWS SDK.
 */
export { assess, judgeChecks } from './assess.ts';
export type { CheckInput, CheckResult, JudgeCheck, WindowSummary } from './check.ts';
export type { Assessment, CheckVerdict, Figures, Judge, JudgeContext, JudgeInput, JudgeMemory, JudgePhase, PlannedPromotion, QueueJudgeSetup } from './types.ts';
export { analysisSchema, customMetricSchema, type AnalysisRequest, type AnalysisSettings, type CustomMetric } from './settings.ts';
