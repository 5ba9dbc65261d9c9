-- The demo ERP in SQL Server: suppliers, materials and customers with the
-- kinds of columns a real ERP has. Run once by the mssql-init service of
-- docker-compose.yml, as sa; safe to run again.
IF DB_ID(N'erp') IS NULL
    CREATE DATABASE erp;
GO
-- Readers see the last committed version of a row instead of waiting for
-- its writer: what docs/sqlserver.md recommends for every syncd source.
ALTER DATABASE erp SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE;
GO
IF SUSER_ID(N'syncd') IS NULL
    CREATE LOGIN syncd WITH PASSWORD = N'$(SYNCD_PASSWORD)', CHECK_POLICY = OFF;
GO
USE erp;
GO
IF USER_ID(N'syncd') IS NULL
BEGIN
    CREATE USER syncd FOR LOGIN syncd;
    -- Read only: rows, the catalog (check, plan) and result types.
    ALTER ROLE db_datareader ADD MEMBER syncd;
    GRANT VIEW DEFINITION TO syncd;
END;
GO
IF OBJECT_ID(N'dbo.T_BD_SUPPLIER') IS NULL
BEGIN
    CREATE TABLE dbo.T_BD_SUPPLIER (
        FSUPPLIERID     INT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
        FNUMBER         NVARCHAR(30)       NOT NULL,
        FNAME           NVARCHAR(100)      NOT NULL,
        FSHORTNAME      NVARCHAR(50)       NULL,
        FCITY           NVARCHAR(50)       NULL,
        FCREDITLIMIT    DECIMAL(18, 2)     NOT NULL DEFAULT 0,
        FBALANCE        MONEY              NOT NULL DEFAULT 0,
        FFORBIDDEN      BIT                NOT NULL DEFAULT 0,
        FDOCUMENTSTATUS CHAR(1)            NOT NULL DEFAULT 'C',
        FCREATEDATE     DATETIME           NOT NULL DEFAULT GETDATE(),
        FMODIFYDATE     DATETIME2(3)       NOT NULL DEFAULT SYSDATETIME()
    );
    CREATE INDEX IX_T_BD_SUPPLIER_SYNCD ON dbo.T_BD_SUPPLIER (FMODIFYDATE, FSUPPLIERID);
END;
GO
IF OBJECT_ID(N'dbo.T_BD_MATERIAL') IS NULL
BEGIN
    CREATE TABLE dbo.T_BD_MATERIAL (
        FMATERIALID  BIGINT           NOT NULL PRIMARY KEY,
        FNUMBER      NVARCHAR(40)     NOT NULL,
        FNAME        NVARCHAR(200)    NOT NULL,
        FSPEC        NVARCHAR(255)    NULL,
        FUNIT        NCHAR(4)         NOT NULL DEFAULT N'PCS',
        FPRICE       DECIMAL(19, 6)   NOT NULL DEFAULT 0,
        FCOST        SMALLMONEY       NULL,
        FWEIGHT      FLOAT            NULL,
        FSAFESTOCK   SMALLINT         NULL,
        FENABLED     BIT              NOT NULL DEFAULT 1,
        FREMARK      NVARCHAR(MAX)    NULL,
        FGUID        UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
        FVERSION     ROWVERSION       NOT NULL
    );
    -- A rowversion cursor: every insert and update raises it, whatever
    -- the application writes.
    CREATE INDEX IX_T_BD_MATERIAL_SYNCD ON dbo.T_BD_MATERIAL (FVERSION, FMATERIALID);
END;
GO
IF OBJECT_ID(N'dbo.T_BD_CUSTOMER') IS NULL
BEGIN
    CREATE TABLE dbo.T_BD_CUSTOMER (
        FCUSTID      UNIQUEIDENTIFIER NOT NULL PRIMARY KEY DEFAULT NEWSEQUENTIALID(),
        FNUMBER      VARCHAR(20)      NOT NULL,
        FNAME        NVARCHAR(200)    NOT NULL,
        FCREDIT      MONEY            NULL,
        FDISCOUNT    DECIMAL(5, 4)    NULL,
        FVIP         BIT              NOT NULL DEFAULT 0,
        FLEVEL       TINYINT          NULL,
        FBIRTHDAY    DATE             NULL,
        FCREATED     DATETIMEOFFSET(3) NOT NULL DEFAULT SYSDATETIMEOFFSET(),
        FMODIFYDATE  DATETIME2(7)     NOT NULL DEFAULT SYSDATETIME()
    );
    CREATE INDEX IX_T_BD_CUSTOMER_SYNCD ON dbo.T_BD_CUSTOMER (FMODIFYDATE, FCUSTID);
END;
GO
-- Seed rows once, with names in several scripts.
IF NOT EXISTS (SELECT 1 FROM dbo.T_BD_SUPPLIER)
BEGIN
    WITH n AS (SELECT TOP (500) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS i FROM sys.all_objects)
    INSERT INTO dbo.T_BD_SUPPLIER (FNUMBER, FNAME, FSHORTNAME, FCITY, FCREDITLIMIT, FBALANCE, FFORBIDDEN)
    SELECT CONCAT(N'S', FORMAT(i, '00000')), CONCAT(N'供应商 ', i, N' GmbH & Co. KG'), CONCAT(N'Sup', i),
           CHOOSE(i % 4 + 1, N'上海', N'München', N'São Paulo', N'Kraków'),
           i * 1000.25, i * 3.1415, CASE WHEN i % 17 = 0 THEN 1 ELSE 0 END
    FROM n;

    WITH n AS (SELECT TOP (2000) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS i FROM sys.all_objects a CROSS JOIN sys.all_objects b)
    INSERT INTO dbo.T_BD_MATERIAL (FMATERIALID, FNUMBER, FNAME, FSPEC, FPRICE, FCOST, FWEIGHT, FSAFESTOCK, FREMARK)
    SELECT 100000 + i, CONCAT(N'M-', i), CONCAT(N'Material ', i, N' 物料'), CONCAT(i % 50, N' x ', i % 7, N' mm'),
           i * 0.123456, i % 1000 * 0.5, i * 0.001, i % 300, CASE WHEN i % 10 = 0 THEN N'😀 fragile' END
    FROM n;

    WITH n AS (SELECT TOP (300) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS i FROM sys.all_objects)
    INSERT INTO dbo.T_BD_CUSTOMER (FNUMBER, FNAME, FCREDIT, FDISCOUNT, FVIP, FLEVEL, FBIRTHDAY)
    SELECT CONCAT('C', i), CONCAT(N'Kunde ', i, N' 客户'), i * 99.99, (i % 20) / 100.0, CASE WHEN i % 9 = 0 THEN 1 ELSE 0 END,
           i % 5, DATEADD(day, i * 37, '1960-01-01')
    FROM n;
END;
GO
