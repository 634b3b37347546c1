/**
 * How much looser timing assertions are on this run: 1 on real hardware. The VM check
 * (scripts/vm-check.sh) runs under software emulation, where a kill or a sample lands
 * hundreds of milliseconds late, and sets KOLEJKA_TEST_TIME_SLACK so those tests check
 * the behaviour with scaled bounds instead of failing on the emulator's speed.
 */
export const TIME_SLACK = readSlack(process.env.KOLEJKA_TEST_TIME_SLACK);

function readSlack(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const slack = Number(value);
  if (!Number.isFinite(slack) || slack < 1) {
    throw new Error(`KOLEJKA_TEST_TIME_SLACK must be a number ≥ 1, not ${JSON.stringify(value)}`);
  }
  return slack;
}
