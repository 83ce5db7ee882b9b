using RealTimeDistributor.Distributor;
using RealTimeDistributor.Hosting;

return await HostRunner.RunAsync("distributor", () => DistributorHost.Build(args).RunAsync());
