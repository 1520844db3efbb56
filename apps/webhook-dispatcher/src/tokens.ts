/** The dispatcher's pino logger. */
export const LOGGER = Symbol('LOGGER');
