/** An on/off environment setting is on unless unset, empty, or `0`, `false`, `no`, `off` (any case). */
export function isEnabled(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.toLowerCase());
}
