using RealTimeDistributor.Benchmarks;

// Benchmarks, not tests: each mode prints a table of figures with ratios against a baseline measured in the same run.
//   realtime-engine [--agents 1000,10000,100000] [--seconds 10]
var mode = args.FirstOrDefault();
var agents = Option(args, "--agents", "1000,10000,100000").Split(',').Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
var seconds = int.Parse(Option(args, "--seconds", "10"), System.Globalization.CultureInfo.InvariantCulture);
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(30));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

switch (mode)
{
    case "realtime-engine":
        await RealTimeEngineBenchmark.RunAsync(agents, TimeSpan.FromSeconds(seconds), cancel.Token);
        return 0;
    default:
        Console.Error.WriteLine("usage: RealTimeDistributor.Benchmarks realtime-engine [--agents 1000,10000,100000] [--seconds 10]");
        return 2;
}

static string Option(string[] args, string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}
