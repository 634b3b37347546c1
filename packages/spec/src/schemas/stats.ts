import { bigintSchema, countSchema, memorySchema, timeSchema } from './limits.js';

const cpuSchema = {
  type: ['object', 'null'],
  properties: { usage: timeSchema, system: timeSchema, user: timeSchema },
} as const;

const gpuSchema = {
  type: ['object', 'null'],
  properties: {
    name: { type: ['string', 'null'] },
    id: { type: ['string', 'null'] },
    memory_total: memorySchema,
    memory_usage: memorySchema,
    max_memory_usage: memorySchema,
    temperature: countSchema,
    max_temperature: countSchema,
    utilization: { type: ['number', 'null'], minimum: 0 },
    max_utilization: { type: ['number', 'null'], minimum: 0 },
  },
} as const;

export const statsSchema = {
  title: 'Kolejka stats',
  type: ['object', 'null'],
  properties: {
    cpu: cpuSchema,
    cpus: { type: ['object', 'null'], additionalProperties: cpuSchema },
    memory: {
      type: ['object', 'null'],
      properties: {
        usage: memorySchema,
        max_usage: memorySchema,
        swap: memorySchema,
        max_swap: memorySchema,
        failures: countSchema,
      },
    },
    pids: {
      type: ['object', 'null'],
      properties: { usage: countSchema, max_usage: countSchema, failures: countSchema },
    },
    perf: {
      type: ['object', 'null'],
      properties: { instructions: bigintSchema, cycles: bigintSchema },
    },
    time: timeSchema,
    gpus: { type: ['object', 'null'], additionalProperties: gpuSchema },
  },
} as const;
