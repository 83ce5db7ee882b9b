using RealTimeDistributor.Lab;

return await LabCommands.RunAsync(args);
