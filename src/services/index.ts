export {killAllServicesSync} from './process-group.js'
export {type RunningServices, ServiceError, startServices, type StartServicesOptions} from './start.js'
