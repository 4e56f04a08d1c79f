/** What a swarm's supervisor sends its leader over the IPC channel. */
export type SupervisorMessage = {type: 'ping'; seq: number} | {type: 'task'; taskId: string}

/** What a leader sends back: `ready` once it can take tasks, `pong` per heartbeat, `done` per acknowledged task. */
export type LeaderMessage = {type: 'ready'; term: number} | {type: 'pong'; seq: number} | {type: 'done'; taskId: string}
