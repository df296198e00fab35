// The insights' job kinds, apart from their handlers so the server can register them without loading
// the models' code before a job runs.
export const RECOMPUTE_JOB = 'insights-recompute';
export const UPDATE_JOB = 'insights-update';
export const MIXES_JOB = 'mixes';
