/**
 * Clinical rules as pure functions, each citing its source: NICE NG136 home blood pressure
 * averaging and classification, window statistics for summaries of continuous streams, and the
 * local-time periods they are computed over.
 */
export { classifyHomeBp, HBPM_STAGE_1, HBPM_STAGE_2, HomeBpClass, homeBpAverage, type HomeBpAverage, type HomeBpReading } from './home-bp.js';
export { statistics, type Statistic, type WindowStatistics } from './statistics.js';
export { addLocalDays, localDayStart, windowOf } from './periods.js';
