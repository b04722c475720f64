/**
 * Clinical rules as pure functions, each citing its source: NEWS2 (RCP 2017), NICE NG136 home blood pressure
 * averaging and classification, window statistics for summaries of continuous streams, and the
 * local-time periods they are computed over.
 */
export { averageOverDays, classifyHomeBp, HBPM_RUN_DAYS, HBPM_STAGE_1, HBPM_STAGE_2, HomeBpClass, homeBpAverage, monitoringRuns, type DayReading, type HomeBpAverage, type HomeBpReading } from './home-bp.js';
export { statistics, type Statistic, type WindowStatistics } from './statistics.js';
export { addLocalDays, localDayStart, windowOf } from './periods.js';
export {
  news2,
  news2Response,
  News2Parameter,
  News2Response,
  pulseScore,
  respiratoryRateScore,
  spo2Scale1Score,
  spo2Scale2Score,
  systolicScore,
  temperatureScore,
  type News2Input,
  type News2Score,
} from './news2.js';
export { evaluateThreshold, type Threshold, type ThresholdState, type ThresholdTransition } from './thresholds.js';
