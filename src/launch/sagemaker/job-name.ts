/**
 * SageMaker SDK v2 job naming (utils.py `name_from_base`, `sagemaker_timestamp`): the base is
 * cut so that `base-YYYY-MM-DD-HH-MM-SS-mmm` fits in 63 characters, the timestamp in UTC.
 * The SDK takes the milliseconds from `repr(time.time())`, which has microseconds; a JS Date
 * has only milliseconds, so they are zero-padded to the 3 digits the SDK shows in practice.
 */
export const TRAINING_JOB_NAME_MAX = 63

export function sagemakerTimestamp (now: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${now.getUTCFullYear()}-${p(now.getUTCMonth() + 1)}-${p(now.getUTCDate())}-` +
    `${p(now.getUTCHours())}-${p(now.getUTCMinutes())}-${p(now.getUTCSeconds())}-${p(now.getUTCMilliseconds(), 3)}`
}

export function nameFromBase (base: string, now: Date, maxLength = TRAINING_JOB_NAME_MAX): string {
  const ts = sagemakerTimestamp(now)
  return `${base.slice(0, maxLength - ts.length - 1)}-${ts}`
}

/**
 * The tuner's short form (`short=True`, max 32): `yymmdd-HHMM`. The SDK uses local time here;
 * we use UTC so the name does not depend on the gateway host's time zone.
 */
export function shortNameFromBase (base: string, now: Date, maxLength = 32): string {
  const p = (n: number): string => String(n).padStart(2, '0')
  const ts = `${p(now.getUTCFullYear() % 100)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}`
  return `${base.slice(0, maxLength - ts.length - 1)}-${ts}`
}
