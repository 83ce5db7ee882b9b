using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealTimeDistributor.Distributor.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RealTimeRowHalfFullPages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterTable(
                name: "realtime_row")
                .Annotation("Npgsql:StorageParameter:fillfactor", 50)
                .Annotation("Npgsql:UnloggedTable", true)
                .OldAnnotation("Npgsql:UnloggedTable", true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterTable(
                name: "realtime_row")
                .Annotation("Npgsql:UnloggedTable", true)
                .OldAnnotation("Npgsql:StorageParameter:fillfactor", 50)
                .OldAnnotation("Npgsql:UnloggedTable", true);
        }
    }
}
