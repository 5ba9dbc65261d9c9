-- One round of demo changes, run every few seconds by the mssql-churn
-- service: what an ERP's users do all day.
USE erp;
SET NOCOUNT ON;
-- Suppliers: a payment moves a balance, and the application stamps the
-- modify time (a datetime2 cursor).
UPDATE TOP (3) dbo.T_BD_SUPPLIER
SET FBALANCE = FBALANCE + 10.5, FMODIFYDATE = SYSDATETIME()
WHERE FSUPPLIERID IN (SELECT TOP (3) FSUPPLIERID FROM dbo.T_BD_SUPPLIER ORDER BY NEWID());
-- Materials: a price change; the rowversion moves by itself.
UPDATE dbo.T_BD_MATERIAL SET FPRICE = FPRICE * 1.01
WHERE FMATERIALID IN (SELECT TOP (5) FMATERIALID FROM dbo.T_BD_MATERIAL ORDER BY NEWID());
-- Materials: a new one now and then.
INSERT INTO dbo.T_BD_MATERIAL (FMATERIALID, FNUMBER, FNAME)
SELECT MAX(FMATERIALID) + 1, CONCAT(N'M-', MAX(FMATERIALID) + 1 - 100000), N'New material 新物料'
FROM dbo.T_BD_MATERIAL;
-- Customers: a new customer, and a credit change on another.
INSERT INTO dbo.T_BD_CUSTOMER (FNUMBER, FNAME, FCREDIT) VALUES (CONCAT('C', ABS(CHECKSUM(NEWID())) % 1000000), N'Neukunde 新客户', 500);
UPDATE TOP (1) dbo.T_BD_CUSTOMER SET FCREDIT = COALESCE(FCREDIT, 0) + 1, FMODIFYDATE = SYSDATETIME()
WHERE FCUSTID IN (SELECT TOP (1) FCUSTID FROM dbo.T_BD_CUSTOMER ORDER BY NEWID());
GO
