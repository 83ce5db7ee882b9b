using RealTimeDistributor.Client;
using RealTimeDistributor.Hosting;

return await HostRunner.RunAsync("client", () => ClientHost.Build(args).RunAsync());
