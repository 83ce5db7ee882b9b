using RealTimeDistributor.Cli;

return await Commands.RunAsync(args);
