using RealTimeDistributor.Central;
using RealTimeDistributor.Hosting;

return await HostRunner.RunAsync("central", () => CentralHost.Build(args).RunAsync());
