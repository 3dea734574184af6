//! SC (control plane) admin messages and object specs.
