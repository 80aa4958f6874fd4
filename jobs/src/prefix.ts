/** Every BullMQ key of a deployment sits under this prefix (server and worker alike). */
export const bullPrefix = (redisPrefix: string) => `${redisPrefix}:bull`;
