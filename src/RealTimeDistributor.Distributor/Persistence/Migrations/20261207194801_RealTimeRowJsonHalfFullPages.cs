using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealTimeDistributor.Distributor.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RealTimeRowJsonHalfFullPages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterTable(
                name: "realtime_row")
                .Annotation("Npgsql:StorageParameter:fillfactor", 50)
                .Annotation("Npgsql:UnloggedTable", true)
                .OldAnnotation("Npgsql:UnloggedTable", true);

            migrationBuilder.AlterColumn<string>(
                name: "data",
                table: "realtime_row",
                type: "json",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "jsonb");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterTable(
                name: "realtime_row")
                .Annotation("Npgsql:UnloggedTable", true)
                .OldAnnotation("Npgsql:StorageParameter:fillfactor", 50)
                .OldAnnotation("Npgsql:UnloggedTable", true);

            migrationBuilder.AlterColumn<string>(
                name: "data",
                table: "realtime_row",
                type: "jsonb",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "json");
        }
    }
}
