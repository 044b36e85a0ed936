/** Set once the process was asked to stop, so the database going away with it is not mistaken for a crash. */
export const shutdownState = { requested: false };
