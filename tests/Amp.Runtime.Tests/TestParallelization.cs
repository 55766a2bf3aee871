// Test classes run one at a time: several of them start ILGPU's CPU accelerator, a simulator that runs one OS
// thread per kernel thread; concurrent accelerators oversubscribe the 2 cores and once produced a wrong
// readback and a crashed test host under the full solution's load.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
