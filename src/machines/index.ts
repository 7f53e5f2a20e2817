export {
  processorMachine,
  type ProcessorState,
  type ProcessorEvent,
  type ProcessorMachineContext,
  type ProcessorMachineInput,
  type ProcessorPorts,
  type Crash,
  type Mailbox,
} from './processor.machine.js';
export {
  mainMachine,
  type MainState,
  type MainEvent,
  type MainMachineContext,
  type MainMachineInput,
  type MainPorts,
} from './main.machine.js';
export {
  DEFAULT_RESTART_POLICY,
  restartPolicy,
  backoffDelay,
  type RestartPolicy,
} from './restart-policy.js';
export {
  directiveMachine,
  directiveState,
  type DirectiveState,
  type DirectiveStateValue,
  type DirectiveEvent,
  type DirectiveMachineContext,
  type DirectiveMachineInput,
  type DirectivePorts,
} from './directive.machine.js';
export {
  linkMachine,
  linkState,
  type LinkState,
  type LinkSnapshot,
  type LinkEvent,
  type LinkPorts,
  type LinkMachineContext,
  type LinkMachineInput,
} from './link.machine.js';
export {
  peerMachine,
  peerState,
  type PeerState,
  type PeerSnapshot,
  type PeerEvent,
  type PeerPorts,
  type PeerMachineContext,
  type PeerMachineInput,
} from './peer.machine.js';
