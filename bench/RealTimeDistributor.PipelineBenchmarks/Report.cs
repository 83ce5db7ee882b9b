using System.Diagnostics;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>Collects figures and prints them as one table, each with its ratio to the baseline measured in the same run.</summary>
public sealed class Report
{
    private readonly List<(string Group, string Name, double Value, string Unit, string? Baseline)> _rows = [];

    public void Add(string group, string name, double value, string unit, string? baseline = null)
    {
        _rows.Add((group, name, value, unit, baseline));
        Console.WriteLine($"  {group} / {name}: {value:N0} {unit}");
    }

    public static async Task<TimeSpan> TimeAsync(Func<Task> work)
    {
        var watch = Stopwatch.StartNew();
        await work();
        return watch.Elapsed;
    }

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"{"measure",-58} {"value",12} {"unit",-10} {"ratio",-30}");
        Console.WriteLine(new string('-', 112));
        foreach (var row in _rows)
        {
            var ratio = "";
            if (row.Baseline is { } name && _rows.FirstOrDefault(r => r.Group == row.Group && r.Name == name) is { Value: > 0 } baseline)
            {
                ratio = $"{row.Value / baseline.Value:0.00} x {name}";
            }
            Console.WriteLine($"{row.Group + " / " + row.Name,-58} {row.Value,12:N1} {row.Unit,-10} {ratio,-30}");
        }
    }
}
