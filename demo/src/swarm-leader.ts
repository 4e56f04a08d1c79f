// A swarm leader: one small child process per swarm, run by the supervisor in swarms.ts over IPC.
// It imports nothing at run time (the import below is types only), so 100 of them stay cheap.
import type {LeaderMessage, SupervisorMessage} from './protocol.js'

const term = Number(process.argv[2])
const send = process.send?.bind(process)
if (!send || !Number.isSafeInteger(term)) {
  process.stderr.write('swarm-leader: run by the demo server (needs an IPC channel and a term)\n')
  process.exit(2)
}

function reply(message: LeaderMessage): void {
  // A send that fails means the supervisor is gone; 'disconnect' below ends this process.
  send!(message, undefined, {}, () => {})
}

process.on('message', (message: SupervisorMessage) => {
  if (message.type === 'ping') reply({seq: message.seq, type: 'pong'})
  else if (message.type === 'task') reply({taskId: message.taskId, type: 'done'})
})

// Without its supervisor a leader has no one to answer to: exit rather than linger as an orphan.
process.on('disconnect', () => process.exit(0))
reply({term, type: 'ready'})
