/** WebSocket close codes of the foreman channel (4000–4999 are the application's). */
export const CLOSE_CODES = {
  goingAway: 1001,
  policy: 1008,
  replaced: 4001,
  noCommonProtocol: 4002,
  forbidden: 4003,
  noHello: 4004,
} as const;
